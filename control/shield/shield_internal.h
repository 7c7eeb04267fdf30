/* Internal to control/shield: the affine-plane view of the constructions and their symmetry. */
#ifndef BYZ_SHIELD_INTERNAL_H
#define BYZ_SHIELD_INTERNAL_H

#include <stdint.h>

#include "byz/shield.h"

/*
 * Worker orbits under the automorphisms found, for the two levels of
 * symmetry breaking the search uses. Orbits are numbered in increasing
 * order of their smallest worker, which is their representative.
 */
struct shield_sym {
	uint64_t order;          /* automorphisms found (1: identity only) */
	uint32_t n_workers;
	uint32_t n_orbits;
	uint32_t *orbit_of;      /* [K] orbit index of each worker */
	uint32_t *rep;           /* [n_orbits] smallest worker of each orbit */
	/* [n_orbits][K]: orbit index, under the stabiliser of rep[i], of each
	 * worker (numbered by smallest member; rep[i] alone is one orbit). */
	uint32_t *stab_orbit_of;
	void *priv;              /* autom.c's data for shield_sym_fix_orbits() */
};

/*
 * Fill @p sym. With use_symmetry == 0, or for custom assignments, or when p
 * is too big for the enumeration, only the identity is used. Returns 0,
 * -ENOMEM, or -EPROTO when a derived map fails the check against the lists.
 */
int shield_sym_compute(const struct byz_shield_assign *a, int use_symmetry,
		       struct shield_sym *sym);
void shield_sym_free(struct shield_sym *sym);

/*
 * Orbits of the automorphisms that fix each of fixed[0..n), labelled
 * 0, 1, ... by smallest member, into label[K]. 0 or -EPROTO.
 */
int shield_sym_fix_orbits(const struct shield_sym *sym, const uint32_t *fixed,
			  uint32_t n, uint32_t *label);

#endif
