/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dg_etf.h - the tags of the external term format (spec 4.7), once for
 * every module that reads or writes terms.  Which of them a scanner
 * accepts is its own business (filter/term.c).
 */
#ifndef DG_ETF_H
#define DG_ETF_H

#define T_VERSION	131	/* not a term: the version byte before one */
#define T_NEW_FLOAT	70
#define T_BIT_BINARY	77
#define T_COMPRESSED	80
#define T_ATOM_CACHE	82
#define T_NEW_PID	88
#define T_NEW_PORT	89
#define T_NEWER_REF	90
#define T_SMALL_INT	97
#define T_INT		98
#define T_FLOAT		99
#define T_ATOM		100
#define T_REF		101
#define T_PORT		102
#define T_PID		103
#define T_SMALL_TUPLE	104
#define T_LARGE_TUPLE	105
#define T_NIL		106
#define T_STRING	107
#define T_LIST		108
#define T_BINARY	109
#define T_SMALL_BIG	110
#define T_LARGE_BIG	111
#define T_NEW_FUN	112
#define T_EXPORT	113
#define T_NEW_REF	114
#define T_SMALL_ATOM	115
#define T_MAP		116
#define T_FUN		117
#define T_ATOM_UTF8	118
#define T_SMALL_ATOM_UTF8 119
#define T_V4_PORT	120
#define T_LOCAL		121

#endif
