/*
 * byz-bench: byzreduce's benchmarks. Each subcommand prints a table a person
 * can read and optionally writes CSV; baselines are measured in the same run.
 */
#include <cblas.h>
#include <stdio.h>
#include <string.h>

int bench_clip_main(int argc, char **argv);
int bench_allreduce_main(int argc, char **argv);
int bench_hash_main(int argc, char **argv);
int bench_grad_main(int argc, char **argv);
int bench_mac_main(int argc, char **argv);
int bench_flood_main(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
"usage: byz-bench COMMAND [options]\n"
"\n"
"commands:\n"
"  clip        CenteredClip implementations against one read of the inputs\n"
"  allreduce   butterfly all-reduce over the DPDK dataplane (nccl-tests style)\n"
"  hash        leaf hashing: BLAKE2b and SHA-256, libsodium against SIMD and SHA-NI\n"
"  grad        built-in models' gradient: deterministic product vs OpenBLAS\n"
"  mac         per-frame authentication tag: Poly1305 and keyed BLAKE2b vs CRC32C\n"
"  flood       a hostile member flooding one node's dataplane over memif\n"
"\n"
"byz-bench COMMAND --help describes each command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	/* The clip engine is single-threaded by design (one worker per part);
	 * OpenBLAS's own threads only spin on its k x k calls. */
	openblas_set_num_threads(1);
	if (!strcmp(argv[1], "clip"))
		return bench_clip_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "allreduce"))
		return bench_allreduce_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hash"))
		return bench_hash_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "grad"))
		return bench_grad_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "mac"))
		return bench_mac_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "flood"))
		return bench_flood_main(argc - 1, argv + 1);
	fprintf(stderr, "byz-bench: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
