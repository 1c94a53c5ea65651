#ifndef ZIP_INFLATE_H
#define ZIP_INFLATE_H

#include <stddef.h>
#include <stdint.h>

/// A raw-deflate (zip method 8) decompressor fed and drained in caller-sized pieces. Opaque.
typedef struct zi_stream zi_stream;

/// A new decompressor, or NULL when memory is short.
zi_stream *zi_open(void);

/// Inflates from `in` (`in_len` bytes) into `out` (room for `out_cap` bytes). Sets `in_used` and `out_len`.
/// Returns 1 when the deflate stream has ended, 0 when more input or output room is needed, -1 when the data
/// is not valid deflate data (a message is then in `zi_message`).
int zi_inflate(zi_stream *stream, const uint8_t *in, size_t in_len, size_t *in_used,
               uint8_t *out, size_t out_cap, size_t *out_len);

/// zlib's description of the last error, or "" .
const char *zi_message(const zi_stream *stream);

/// Frees the decompressor (NULL is allowed).
void zi_close(zi_stream *stream);

/// The CRC-32 (as in zip) of `len` bytes, continuing from `crc` (0 to start).
uint32_t zi_crc32(uint32_t crc, const uint8_t *bytes, size_t len);

#endif
