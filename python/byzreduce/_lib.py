"""ctypes declarations of libbyzreduce (include/byz/trainer.h, clip.h, err.h).

Nothing is compiled at import: the shared library is found at run time, in
this order:
  1. the path in the environment variable BYZREDUCE_LIB;
  2. the build tree of a source checkout (build*/ next to python/);
  3. the system's lib<LIB_NAME>.so.* (ldconfig's cache, /usr/lib, ...).
"""
import ctypes
import ctypes.util
import glob
import os

#: The one name of the library; everything below derives from it.
LIB_NAME = "byzreduce"

_here = os.path.dirname(os.path.abspath(__file__))
_root = os.path.dirname(os.path.dirname(_here))  # python/byzreduce -> checkout


def _candidates():
    env = os.environ.get("BYZREDUCE_LIB")
    if env:
        yield env
        return  # an explicit choice is not second-guessed
    for b in sorted(glob.glob(os.path.join(_root, "build*"))):
        for pat in ("lib%s.so" % LIB_NAME, "*/lib%s.so" % LIB_NAME):
            for p in sorted(glob.glob(os.path.join(b, pat))):
                yield p
    found = ctypes.util.find_library(LIB_NAME)
    if found:
        yield found
    for d in ("/usr/local/lib", "/usr/lib", "/usr/lib/x86_64-linux-gnu"):
        for p in sorted(glob.glob(os.path.join(d, "lib%s.so*" % LIB_NAME))):
            yield p


def _load():
    errors = []
    for p in _candidates():
        try:
            return ctypes.CDLL(p), p
        except OSError as e:
            errors.append("%s: %s" % (p, e))
    raise ImportError(
        "byzreduce: cannot load lib%s.so (set BYZREDUCE_LIB to its path, build it "
        "with meson, or install it)%s" % (LIB_NAME, "".join("\n  " + e for e in errors)))


lib, path = _load()

c_float_p = ctypes.POINTER(ctypes.c_float)


class Event(ctypes.Structure):
    """struct byz_event (byz/proto.h)."""
    _fields_ = [("kind", ctypes.c_int), ("step", ctypes.c_uint64),
                ("attempt", ctypes.c_uint16), ("peer", ctypes.c_uint16),
                ("accuser", ctypes.c_int32), ("reason", ctypes.c_uint8),
                ("digest", ctypes.c_uint8 * 32), ("synced", ctypes.c_uint8),
                ("late_us", ctypes.c_uint64)]


class Next(ctypes.Structure):
    """struct byz_trainer_next."""
    _fields_ = [("step", ctypes.c_uint64), ("contribute", ctypes.c_int),
                ("seed", ctypes.c_uint8 * 32)]


MAX_EVENTS = 256  # BYZ_TRAINER_MAX_EVENTS


class Report(ctypes.Structure):
    """struct byz_trainer_report."""
    _fields_ = [("step", ctypes.c_uint64), ("updated", ctypes.c_int),
                ("contributed", ctypes.c_int), ("bans", ctypes.c_uint32),
                ("excluded", ctypes.c_uint32), ("digest", ctypes.c_uint8 * 32),
                ("next", Next), ("nevents", ctypes.c_uint32),
                ("events_lost", ctypes.c_uint32), ("events", Event * MAX_EVENTS)]


class ClipParams(ctypes.Structure):
    _fields_ = [("tau", ctypes.c_double), ("eps", ctypes.c_double),
                ("max_iters", ctypes.c_uint32), ("impl", ctypes.c_int)]


class ClipResult(ctypes.Structure):
    _fields_ = [("iters", ctypes.c_uint32), ("clipped", ctypes.c_uint32),
                ("converged", ctypes.c_int), ("impl", ctypes.c_int),
                ("residual", ctypes.c_double)]


# int (*)(void *ctx, uint64_t step, const uint8_t seed[32], float *g, size_t d)
GRAD_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64,
                           ctypes.POINTER(ctypes.c_uint8), c_float_p, ctypes.c_size_t)

_vp = ctypes.c_void_p


def _decl(name, res, *args):
    f = getattr(lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


strerror = _decl("byz_strerror", ctypes.c_char_p, ctypes.c_int)
ban_reason_name = _decl("byz_ban_reason_name", ctypes.c_char_p, ctypes.c_int)
trainer_open = _decl("byz_trainer_open", _vp, ctypes.c_char_p, GRAD_FN, _vp,
                     ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int))
trainer_local = _decl("byz_trainer_local", ctypes.c_int, ctypes.c_uint32, ctypes.c_size_t,
                      ctypes.c_uint64, ctypes.c_uint64, ctypes.POINTER(GRAD_FN),
                      ctypes.POINTER(_vp), ctypes.POINTER(_vp))
trainer_dim = _decl("byz_trainer_dim", ctypes.c_size_t, _vp)
trainer_self = _decl("byz_trainer_self", ctypes.c_uint16, _vp)
trainer_peers = _decl("byz_trainer_peers", ctypes.c_uint32, _vp)
trainer_next = _decl("byz_trainer_next", ctypes.c_int, _vp, ctypes.POINTER(Next),
                     ctypes.c_uint64)
trainer_submit = _decl("byz_trainer_submit", ctypes.c_int, _vp, _vp)
trainer_poll = _decl("byz_trainer_poll", ctypes.c_int, _vp, _vp, ctypes.POINTER(Report))
trainer_wait = _decl("byz_trainer_wait", ctypes.c_int, _vp, _vp, ctypes.POINTER(Report),
                     ctypes.c_uint64)
trainer_close = _decl("byz_trainer_close", None, _vp)
_report_size = _decl("byz_trainer_report_size", ctypes.c_size_t)()
if _report_size != ctypes.sizeof(Report):
    raise ImportError("byzreduce: %s has a struct byz_trainer_report of %d bytes, this binding "
                      "declares %d: the library and the Python package are from different "
                      "versions" % (path, _report_size, ctypes.sizeof(Report)))
clip = _decl("byz_clip", ctypes.c_int, ctypes.POINTER(_vp), ctypes.c_uint32,
             ctypes.c_size_t, ctypes.POINTER(ClipParams), _vp,
             ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ClipResult))
clip_impl_parse = _decl("byz_clip_impl_parse", ctypes.c_int, ctypes.c_char_p,
                        ctypes.POINTER(ctypes.c_int))
clip_impl_name = _decl("byz_clip_impl_name", ctypes.c_char_p, ctypes.c_int)
