/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_wire.h - bounded big-endian readers and writers over caller memory.
 *
 * A reader never reads past `end`: every rd_* returns -1 (and leaves the
 * output alone) when fewer bytes remain than it needs, so a parser can map
 * that to DG_AGAIN or DG_EINVAL as its contract says.  A writer sets
 * `overflow` instead of writing past `end`; check it once at the end.
 */
#ifndef DG_WIRE_H
#define DG_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dg_rd {
	const uint8_t	*p;
	const uint8_t	*end;
};

struct dg_wr {
	uint8_t		*p;
	uint8_t		*end;
	int		 overflow;
};

static inline struct dg_rd
rd_init(const void *buf, size_t len)
{
	struct dg_rd r = { (const uint8_t *)buf, (const uint8_t *)buf + len };
	return r;
}

static inline size_t
rd_avail(const struct dg_rd *r)
{
	return (size_t)(r->end - r->p);
}

static inline int
rd_u8(struct dg_rd *r, uint8_t *v)
{
	if (rd_avail(r) < 1)
		return -1;
	*v = r->p[0];
	r->p += 1;
	return 0;
}

static inline uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
get_u64(const uint8_t *p)
{
	return ((uint64_t)get_u32(p) << 32) | get_u32(p + 4);
}

static inline void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

static inline int
rd_u16(struct dg_rd *r, uint16_t *v)
{
	if (rd_avail(r) < 2)
		return -1;
	*v = get_u16(r->p);
	r->p += 2;
	return 0;
}

static inline int
rd_u32(struct dg_rd *r, uint32_t *v)
{
	if (rd_avail(r) < 4)
		return -1;
	*v = get_u32(r->p);
	r->p += 4;
	return 0;
}

static inline int
rd_u64(struct dg_rd *r, uint64_t *v)
{
	if (rd_avail(r) < 8)
		return -1;
	*v = get_u64(r->p);
	r->p += 8;
	return 0;
}

/* Points *out at the next n bytes without copying. */
static inline int
rd_bytes(struct dg_rd *r, size_t n, const uint8_t **out)
{
	if (rd_avail(r) < n)
		return -1;
	*out = r->p;
	r->p += n;
	return 0;
}

static inline struct dg_wr
wr_init(void *buf, size_t cap)
{
	struct dg_wr w = { (uint8_t *)buf, (uint8_t *)buf + cap, 0 };
	return w;
}

static inline uint8_t *
wr_take(struct dg_wr *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || (size_t)(w->end - w->p) < n) {
		w->overflow = 1;
		return NULL;
	}
	p = w->p;
	w->p += n;
	return p;
}

static inline void
wr_u8(struct dg_wr *w, uint8_t v)
{
	uint8_t *p = wr_take(w, 1);
	if (p)
		p[0] = v;
}

static inline void
wr_u16(struct dg_wr *w, uint16_t v)
{
	uint8_t *p = wr_take(w, 2);
	if (p)
		put_u16(p, v);
}

static inline void
wr_u32(struct dg_wr *w, uint32_t v)
{
	uint8_t *p = wr_take(w, 4);
	if (p)
		put_u32(p, v);
}

static inline void
wr_u64(struct dg_wr *w, uint64_t v)
{
	uint8_t *p = wr_take(w, 8);
	if (p)
		put_u64(p, v);
}

static inline void
wr_bytes(struct dg_wr *w, const void *src, size_t n)
{
	uint8_t *p = wr_take(w, n);
	if (p && n)
		memcpy(p, src, n);
}

#endif
