/* log.h — leveled logging to stderr. Library code logs here and never prints otherwise.
 * The level comes from LMD_LOG (error|warn|info|debug; default warn) or lmd_log_set_level. */
#ifndef LMD_UTIL_LOG_H
#define LMD_UTIL_LOG_H

typedef enum { LMD_LOG_ERROR, LMD_LOG_WARN, LMD_LOG_INFO, LMD_LOG_DEBUG } lmd_log_level;

void lmd_log_set_level(lmd_log_level level);
int lmd_log_enabled(lmd_log_level level);
void lmd_log(lmd_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LMD_LOGE(...) lmd_log(LMD_LOG_ERROR, __VA_ARGS__)
#define LMD_LOGW(...) lmd_log(LMD_LOG_WARN, __VA_ARGS__)
#define LMD_LOGI(...) lmd_log(LMD_LOG_INFO, __VA_ARGS__)
#define LMD_LOGD(...) lmd_log(LMD_LOG_DEBUG, __VA_ARGS__)

#endif
