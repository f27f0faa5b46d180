/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A map from strings to numbers (an index into the caller's array, say),
 * by open addressing: the one hash table of cairn, used for the sections
 * and keys of an INI file and for the entries of the stack, so that a
 * config of thousands of entries is read in time that grows with its size,
 * not with its square.
 *
 * The map does not copy its keys: each must stay where it is, unchanged,
 * while the map is used (a string the caller allocated once).
 */
#ifndef CAIRN_STRMAP_H
#define CAIRN_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

struct strmap_slot {
        const char *key; /* NULL: free */
        size_t hash, value;
};

struct strmap {
        struct strmap_slot *slots;
        size_t n, cap; /* cap: 0, or a power of two, at least twice n */
};

/* Add `key` with `value`: 0; -EEXIST if `key` is there already (its value
 * in *ret_value, if not NULL); -ENOMEM. */
int strmap_add(struct strmap *m, const char *key, size_t value, size_t *ret_value);
/* The value of `key` in *ret_value: true if it is there. */
bool strmap_get(const struct strmap *m, const char *key, size_t *ret_value);
void strmap_done(struct strmap *m);

#endif
