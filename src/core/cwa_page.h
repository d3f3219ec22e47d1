/*
 * cwa_page: the protocol's rules for one answer of a listing. A decoder
 * reports what it saw (cwa_page_info, cwa.h: shapes, counts, the raw total
 * and the raw ids, through cwa_page_note_id); these functions decide what
 * that means, so that no binding carries protocol knowledge.
 *
 * Rules (cwa_page_read):
 * - An answer without a body (204, or only whitespace) is an empty page.
 * - A page is a JSON array, or an object whose ResultSet is one ([] or {}
 *   counts as an empty array: decoders cannot tell them apart). Each record
 *   is an object; an array in its place passes too, since a decoder that
 *   gives both as tables cannot tell them apart either. Anything else is
 *   not a page: count -1.
 * - The total is the TotalRecordCount beside a ResultSet, when it is a
 *   whole number from 0 to 2^53 (and fits a long); otherwise, and always
 *   for a bare array, it is unknown: -1.
 * - first and last are the first and last records' ids as reported;
 *   id_break where the ids stop increasing (cwa_page_id_cmp says "not
 *   above" for a record and the one before it).
 * - last_id is the last record's id as a condition literal for keyset
 *   paging (cwa_page_literal), "" when the page is empty or the id has
 *   none; no_literal then says why, for a page with records.
 *
 * Ids (cwa_page_id_cmp): a number, or a string of a plain decimal ("42"),
 * compares as the number it writes; two such ids are always ordered. Other
 * ids are text, which a server orders by its own collation (case, accents
 * and punctuation differ between servers), so text is only ever found
 * equal, never above or below: only a repeated id is a certain fault.
 * Unknown ids (kind NONE, or text too long to keep) compare with nothing.
 *
 * Literals (cwa_page_literal): a number goes bare when its text is a plain
 * decimal (-?digits[.digits], what the condition language reads as a
 * number); a string goes in the quote it does not contain ('abc',
 * "O'Brien"). There is none for an absent id, a number in any other form
 * (1e+20, inf), a string holding both quotes or a NUL, or text that does
 * not fit in cap with its quotes.
 *
 * cwa_page_hash: a 64-bit hash of a body's bytes, to tell a page repeated
 * byte for byte (not a defence against a server choosing collisions: the
 * worst a collision can do is end a listing with an error).
 *
 * Pure functions: no allocation, no state.
 */
#ifndef CWA_PAGE_H
#define CWA_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cwa.h"

enum { CWA_PAGE_LITERAL_CAP = CWA_ID_TEXT_CAP + 2 };

/* cwa_page_id_cmp's answer for ids it cannot order */
enum { CWA_PAGE_UNORDERED = 2 };

typedef struct cwa_page {
    long count;         /* records in the page; -1 when the answer is not a page */
    long total;         /* records in the whole listing; -1 when unknown */
    cwa_id first, last; /* the ids of the first and last records, kind NONE when empty */
    long id_break;      /* as cwa_page_info's */
    char last_id[CWA_PAGE_LITERAL_CAP];
    const char *no_literal; /* why last_id is "" when count > 0, else NULL */
} cwa_page;

/* info NULL: the answer had no body. */
void cwa_page_read(const cwa_page_info *info, cwa_page *out);

/* Writes the literal for an id of kind with text[0..len) into out (cap
 * bytes, NUL-terminated); 0, or -1 (out "") when there is none. */
int cwa_page_literal(cwa_id_kind kind, const char *text, size_t len, char *out, size_t cap);

/* -1, 0 or 1 as a is below, equal to or above b; CWA_PAGE_UNORDERED when
 * the rule above cannot tell. */
int cwa_page_id_cmp(const cwa_id *a, const cwa_id *b);

/* Known: a number or a string, its text kept whole. */
int cwa_page_id_known(const cwa_id *id);

/* Both ids known and the same: same kind, same text. */
int cwa_page_id_same(const cwa_id *a, const cwa_id *b);

uint64_t cwa_page_hash(const char *data, size_t len);

#endif
