/*
 * Lower-median selection network. Batcher's odd-even merge sort over the next
 * power of two, pruned twice: comparators that touch a pad (+inf past k) never
 * move anything, and comparators that cannot influence output wire `mid`
 * (found by walking the network backwards) are dropped. The SIMD variants run
 * the surviving comparators as min/max on whole vectors of coordinates, which
 * is branch-free and independent of the data.
 */
#include <stdlib.h>

#include "clip_internal.h"

int clip_net_build(struct clip_net *net, uint32_t k)
{
	uint32_t n = 1;
	size_t cap = 0, cnt = 0;
	uint16_t (*all)[2] = NULL;

	while (n < k)
		n <<= 1;
	/* Batcher's network has at most n log2(n)^2 / 4 + n comparators. */
	for (uint32_t p = 1; p < n; p <<= 1)
		cap += n;
	cap = cap * 16 + 16;
	all = malloc(cap * sizeof(*all));
	if (!all)
		return -ENOMEM;

	for (uint32_t p = 1; p < n; p <<= 1)
		for (uint32_t q = p; q >= 1; q >>= 1)
			for (uint32_t j = q % p; j + q < n; j += 2 * q)
				for (uint32_t i = 0; i < q && i + j + q < n; i++) {
					uint32_t a = i + j, b = i + j + q;
					if (a / (2 * p) != b / (2 * p))
						continue;
					if (b >= k) /* pad stays +inf: no-op */
						continue;
					if (cnt == cap) {
						free(all);
						return -ERANGE;
					}
					all[cnt][0] = (uint16_t)a;
					all[cnt][1] = (uint16_t)b;
					cnt++;
				}

	/* Keep only what can reach the median wire. */
	uint8_t *need = calloc(n, 1);
	if (!need) {
		free(all);
		return -ENOMEM;
	}
	uint32_t mid = (k - 1) / 2;
	need[mid] = 1;
	size_t kept = 0;
	for (size_t c = cnt; c-- > 0;) {
		uint16_t a = all[c][0], b = all[c][1];
		if (need[a] || need[b]) {
			need[a] = need[b] = 1;
			all[c][0] |= 0x8000; /* mark: kept */
			kept++;
		}
	}
	free(need);

	net->cmp = malloc((kept ? kept : 1) * sizeof(*net->cmp));
	if (!net->cmp) {
		free(all);
		return -ENOMEM;
	}
	size_t o = 0;
	for (size_t c = 0; c < cnt; c++)
		if (all[c][0] & 0x8000) {
			net->cmp[o][0] = all[c][0] & 0x7fff;
			net->cmp[o][1] = all[c][1];
			o++;
		}
	free(all);
	net->width = n;
	net->mid = mid;
	net->ncmp = (uint32_t)kept;
	return 0;
}

void clip_net_free(struct clip_net *net)
{
	free(net->cmp);
	net->cmp = NULL;
	net->ncmp = 0;
}
