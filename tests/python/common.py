"""Shared bits of the binding's tests: skip (exit 77, with the reason) when a
Debian module they need is absent, and find the package in the checkout."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))


def need(*mods):
    for m in mods:
        try:
            __import__(m)
        except ImportError as e:
            print("skipping: python module %s is not installed (%s); on Debian 12: "
                  "apt-get install python3-%s" % (m, e, m))
            sys.exit(77)


FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)
        print("FAIL:", what, flush=True)


def raises(exc, fn, needle, what):
    """fn() must raise exc with needle in its message."""
    try:
        fn()
    except exc as e:
        check(needle in str(e), "%s: message %r lacks %r" % (what, str(e), needle))
        return
    except Exception as e:  # the wrong kind is a failure too
        check(False, "%s: raised %s(%s), not %s" % (what, type(e).__name__, e, exc.__name__))
        return
    check(False, "%s: did not raise %s" % (what, exc.__name__))


def done(name):
    if FAILS:
        print("%s: %d failure(s)" % (name, len(FAILS)))
        sys.exit(1)
    print("%s: all checks passed" % name)
    sys.exit(0)
