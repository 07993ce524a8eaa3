/* w3c.c: the W3C extended log format (CloudFront, IIS): "#" lines are
 * directives ("#Version:", "#Fields: date time ..." naming the columns of
 * the lines after it), data lines are fields separated by tabs (each tab
 * one separator, as CloudFront writes them) or by runs of blanks (the
 * spec's white space, as IIS writes them). Values are not quoted: the
 * writers encode blanks inside values ('+' or %20). */
#include "config.h"
#include "map/text/text_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

int tf_text_w3c_split(tf_text_parser *p, const char *line, size_t len, size_t *n)
{
    size_t k = 0, i = 0;
    if (p->f->delim == '\t') {
        for (;;) {
            const char *e = memchr(line + i, '\t', len - i);
            size_t end = e ? (size_t)(e - line) : len;
            tf_text_parser_reserve(p, k + 1);
            p->vals[k++] = (tf_str){ line + i, end - i };
            if (!e)
                break;
            i = end + 1;
        }
    } else {
        for (;;) {
            while (i < len && blank(line[i]))
                i++;
            if (i == len)
                break;
            size_t s = i;
            while (i < len && !blank(line[i]))
                i++;
            tf_text_parser_reserve(p, k + 1);
            p->vals[k++] = (tf_str){ line + s, i - s };
        }
    }
    *n = k;
    return TF_TEXT_OK;
}

bool tf_text_w3c_fields(const char *line, size_t len, tf_str **names, size_t *n)
{
    static const char dir[] = "#Fields:";
    size_t dl = sizeof dir - 1;
    if (len < dl || strncasecmp(line, dir, dl) != 0)
        return false;
    size_t cap = 16, k = 0, i = dl;
    tf_str *v = tf_xcalloc(cap, sizeof *v);
    for (;;) {
        while (i < len && blank(line[i]))
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && !blank(line[i]))
            i++;
        if (k == cap) {
            cap *= 2;
            v = tf_xrealloc(v, cap * sizeof *v);
        }
        v[k++] = (tf_str){ line + s, i - s };
    }
    *names = v;
    *n = k;
    return true;
}
