/* test_util.c — err, rd, ovf and utf-8 helpers. */
#include "t.h"
#include "util/err.h"
#include "util/ovf.h"
#include "util/rd.h"
#include "util/str.h"

T_TEST(err_keeps_the_first_failure) {
    lmd_err e = { 0 };
    T_EQ_INT(lmd_err_set(&e, LMD_E_FORMAT, "first %d", 1), LMD_E_FORMAT);
    T_EQ_INT(lmd_err_set(&e, LMD_E_IO, "second"), LMD_E_IO);
    T_EQ_INT(e.status, LMD_E_FORMAT);
    T_EQ_STR(e.msg, "first 1");
    T_EQ_INT(lmd_status_exit_code(LMD_E_FORMAT), 2);
    T_EQ_INT(lmd_status_exit_code(LMD_E_IO), 1);
}

T_TEST(err_message_is_one_line) {
    lmd_err e = { 0 };
    lmd_err_set(&e, LMD_E_INVALID, "a\nb");
    T_EQ_STR(e.msg, "a b");
}

T_TEST(rd_reads_little_endian_and_names_offset_on_short_input) {
    const uint8_t buf[] = { 1, 0, 0, 0, 0xff };
    lmd_rd r = { buf, sizeof buf, 0, "x.bin" };
    uint32_t v;
    lmd_err e = { 0 };
    T_EQ_INT(lmd_rd_u32(&r, &v, &e), LMD_OK);
    T_EQ_INT(v, 1);
    uint64_t w;
    T_EQ_INT(lmd_rd_u64(&r, &w, &e), LMD_E_FORMAT);
    T_EQ_INT(r.pos, 4);
    T_CHECK(strstr(e.msg, "offset 4") != NULL);
}

T_TEST(rd_str_rejects_length_past_end) {
    const uint8_t buf[] = { 200, 0, 0, 0, 0, 0, 0, 0, 'a' };
    lmd_rd r = { buf, sizeof buf, 0, "s" };
    lmd_str s;
    T_EQ_INT(lmd_rd_str(&r, 8, 1000, &s, NULL), LMD_E_FORMAT);
    T_EQ_INT(r.pos, 0);
}

T_TEST(ovf_detects_overflow_and_leaves_destination) {
    size_t out = 7;
    T_CHECK(lmd_mul_size(SIZE_MAX / 2 + 1, 2, &out) != 0);
    T_EQ_INT(out, 7);
    T_CHECK(lmd_add_size(1, 2, &out) == 0);
    T_EQ_INT(out, 3);
}

T_TEST(utf8_validation) {
    T_CHECK(lmd_utf8_valid("h\xc3\xa9llo", 6));
    T_CHECK(!lmd_utf8_valid("\xc3", 1));
    T_CHECK(!lmd_utf8_valid("\xc0\xaf", 2));       /* overlong */
    T_CHECK(!lmd_utf8_valid("\xed\xa0\x80", 3));   /* surrogate */
    T_CHECK(lmd_utf8_valid("\xf0\x9f\x98\x80", 4));
}
