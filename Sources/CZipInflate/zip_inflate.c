#include "zip_inflate.h"

#include <limits.h>
#include <stdlib.h>
#include <zlib.h>

struct zi_stream {
    z_stream z;
};

zi_stream *zi_open(void) {
    zi_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    // Negative window bits: raw deflate, as zip stores it (no zlib header or trailer).
    if (inflateInit2(&s->z, -MAX_WBITS) != Z_OK) {
        free(s);
        return NULL;
    }
    return s;
}

int zi_inflate(zi_stream *s, const uint8_t *in, size_t in_len, size_t *in_used,
               uint8_t *out, size_t out_cap, size_t *out_len) {
    uInt in_piece = in_len > UINT_MAX ? UINT_MAX : (uInt)in_len;
    uInt out_piece = out_cap > UINT_MAX ? UINT_MAX : (uInt)out_cap;
    s->z.next_in = (Bytef *)in;
    s->z.avail_in = in_piece;
    s->z.next_out = out;
    s->z.avail_out = out_piece;
    int result = inflate(&s->z, Z_NO_FLUSH);
    *in_used = in_piece - s->z.avail_in;
    *out_len = out_piece - s->z.avail_out;
    switch (result) {
    case Z_STREAM_END: return 1;
    case Z_OK: case Z_BUF_ERROR: return 0;
    default: return -1;
    }
}

const char *zi_message(const zi_stream *s) {
    return s && s->z.msg ? s->z.msg : "";
}

void zi_close(zi_stream *s) {
    if (!s) return;
    inflateEnd(&s->z);
    free(s);
}

uint32_t zi_crc32(uint32_t crc, const uint8_t *bytes, size_t len) {
    uLong c = crc;
    while (len > 0) {
        uInt piece = len > UINT_MAX ? UINT_MAX : (uInt)len;
        c = crc32(c, bytes, piece);
        bytes += piece;
        len -= piece;
    }
    return (uint32_t)c;
}
