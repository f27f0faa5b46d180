/* SPDX-License-Identifier: Apache-2.0 */
/* The string map (see strmap.h): linear probing, doubled when half full. */
#include <errno.h>
#include <stdlib.h>

#include "strmap.h"
#include "util.h"

static struct strmap_slot *slot_of(struct strmap_slot *slots, size_t cap, const char *key, size_t hash)
{
        size_t mask = cap - 1, h = hash & mask;

        while (slots[h].key && (slots[h].hash != hash || !streq(slots[h].key, key)))
                h = (h + 1) & mask;
        return &slots[h];
}

static int grow(struct strmap *m)
{
        size_t cap = m->cap ? 2 * m->cap : 16;
        struct strmap_slot *slots;

        if (2 * (m->n + 1) <= m->cap)
                return 0;
        slots = calloc(cap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
                if (m->slots[i].key)
                        *slot_of(slots, cap, m->slots[i].key, m->slots[i].hash) = m->slots[i];
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
        return 0;
}

int strmap_add(struct strmap *m, const char *key, size_t value, size_t *ret_value)
{
        size_t hash = string_hash(key);
        struct strmap_slot *s;

        if (grow(m) < 0)
                return -ENOMEM;
        s = slot_of(m->slots, m->cap, key, hash);
        if (s->key) {
                if (ret_value)
                        *ret_value = s->value;
                return -EEXIST;
        }
        *s = (struct strmap_slot) { .key = key, .hash = hash, .value = value };
        m->n++;
        return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *ret_value)
{
        const struct strmap_slot *s;

        if (!m->cap)
                return false;
        s = slot_of(m->slots, m->cap, key, string_hash(key));
        if (s->key && ret_value)
                *ret_value = s->value;
        return s->key != NULL;
}

void strmap_done(struct strmap *m)
{
        free(m->slots);
        *m = (struct strmap) { 0 };
}
