/* png-colours.c: prints "WIDTH HEIGHT COLOURS" of a PNG file: its size from
 * the IHDR chunk and how many distinct RGB colours its pixels have (counted
 * up to 65536), so a test can tell a rendered page from a blank one.
 * 8-bit RGB, RGBA, grey and grey+alpha, not interlaced (what Chromium's
 * screenshots are). Self-contained but for zlib. Usage: png-colours FILE.PNG
 * Exit status 1 with a message on stderr for anything else. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int die(const char *what)
{
    fprintf(stderr, "png-colours: %s\n", what);
    return 1;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the row filters in place; 0 or -1. */
static int unfilter(unsigned char *data, uint32_t w, uint32_t h, unsigned bpp)
{
    size_t stride = (size_t)w * bpp;
    unsigned char *prev = NULL;
    for (uint32_t y = 0; y < h; y++) {
        unsigned char *row = data + y * (stride + 1), f = row[0], *px = row + 1;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= bpp ? px[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= bpp ? prev[i - bpp] : 0;
            switch (f) {
            case 0: break;
            case 1: px[i] = (unsigned char)(px[i] + a); break;
            case 2: px[i] = (unsigned char)(px[i] + b); break;
            case 3: px[i] = (unsigned char)(px[i] + (a + b) / 2); break;
            case 4: px[i] = (unsigned char)(px[i] + paeth(a, b, c)); break;
            default: return -1;
            }
        }
        prev = px;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return die("usage: png-colours FILE.PNG");
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return die("cannot open the file");
    unsigned char *file = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            file = realloc(file, cap);
        }
        size_t k = fread(file + n, 1, cap - n, f);
        if (!k)
            break;
        n += k;
    }
    fclose(f);
    if (n < 33 || memcmp(file, "\x89PNG\r\n\x1a\n", 8) || memcmp(file + 12, "IHDR", 4))
        return die("not a PNG");
    uint32_t w = be32(file + 16), h = be32(file + 20);
    unsigned depth = file[24], type = file[25], interlace = file[28];
    unsigned bpp = type == 2 ? 3 : type == 6 ? 4 : type == 0 ? 1 : type == 4 ? 2 : 0;
    if (depth != 8 || !bpp || interlace || !w || !h || w > 20000 || h > 20000)
        return die("unsupported PNG (8-bit RGB/RGBA/grey, not interlaced)");
    unsigned char *idat = malloc(n);
    size_t ilen = 0;
    for (size_t p = 8; p + 12 <= n;) {
        uint32_t len = be32(file + p);
        if (len > n - p - 12)
            return die("truncated chunk");
        if (!memcmp(file + p + 4, "IDAT", 4)) {
            memcpy(idat + ilen, file + p + 8, len);
            ilen += len;
        }
        p += 12 + (size_t)len;
    }
    uLongf raw_len = (uLongf)((size_t)h * ((size_t)w * bpp + 1));
    unsigned char *raw = malloc(raw_len);
    if (uncompress(raw, &raw_len, idat, (uLong)ilen) != Z_OK || raw_len != (size_t)h * ((size_t)w * bpp + 1))
        return die("bad image data");
    if (unfilter(raw, w, h, bpp) != 0)
        return die("bad row filter");
    /* Distinct colours: an open-addressing set of 24-bit RGB values. */
    enum { SET = 1 << 17, MAXC = 1 << 16 };
    uint32_t *set = calloc(SET, sizeof *set);
    size_t colours = 0;
    for (uint32_t y = 0; y < h && colours < MAXC; y++) {
        const unsigned char *px = raw + (size_t)y * ((size_t)w * bpp + 1) + 1;
        for (uint32_t x = 0; x < w && colours < MAXC; x++, px += bpp) {
            uint32_t rgb = bpp >= 3 ? (uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2] : px[0] * 0x010101u;
            uint32_t key = rgb + 1, j = (key * 2654435761u) & (SET - 1);
            while (set[j] && set[j] != key)
                j = (j + 1) & (SET - 1);
            if (!set[j]) {
                set[j] = key;
                colours++;
            }
        }
    }
    printf("%u %u %zu\n", (unsigned)w, (unsigned)h, colours);
    free(set);
    free(raw);
    free(idat);
    free(file);
    return 0;
}
