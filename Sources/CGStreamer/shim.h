#ifndef CLEARLANE_CGSTREAMER_SHIM_H
#define CLEARLANE_CGSTREAMER_SHIM_H
// Every GStreamer declaration ClearLane uses comes through this header. GStreamer's casts,
// accessors and variadic setters are C macros or varargs functions that Swift cannot import;
// each gets a `static inline` wrapper here, named cl_*, so the Swift side (Media) stays free of
// raw C idioms.
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

// MARK: casts
static inline GstAppSink *cl_app_sink(GstElement *e) { return GST_APP_SINK(e); }
static inline GstAppSrc *cl_app_src(GstElement *e) { return GST_APP_SRC(e); }
static inline GstBin *cl_bin(GstElement *e) { return GST_BIN(e); }
static inline gboolean cl_is_app_sink(GstElement *e) { return GST_IS_APP_SINK(e); }
static inline gboolean cl_is_app_src(GstElement *e) { return GST_IS_APP_SRC(e); }
static inline gboolean cl_is_bin(GstElement *e) { return GST_IS_BIN(e); }

// MARK: buffers
static inline GstClockTime cl_buffer_pts(GstBuffer *b) { return GST_BUFFER_PTS(b); }
static inline GstClockTime cl_buffer_duration(GstBuffer *b) { return GST_BUFFER_DURATION(b); }
static inline void cl_buffer_set_pts(GstBuffer *b, GstClockTime t) { GST_BUFFER_PTS(b) = t; }
static inline void cl_buffer_set_duration(GstBuffer *b, GstClockTime t) { GST_BUFFER_DURATION(b) = t; }
static inline GstClockTime cl_clock_time_none(void) { return GST_CLOCK_TIME_NONE; }

// MARK: messages
static inline GstMessageType cl_message_type(GstMessage *m) { return GST_MESSAGE_TYPE(m); }
static inline const char *cl_message_src_name(GstMessage *m) {
    return GST_MESSAGE_SRC(m) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(m)) : "(unknown)";
}
static inline GstObject *cl_message_src(GstMessage *m) { return GST_MESSAGE_SRC(m); }

// MARK: objects and properties (g_object_set is variadic)
static inline const char *cl_object_name(GstObject *o) { return GST_OBJECT_NAME(o); }
static inline const char *cl_element_name(GstElement *e) { return GST_OBJECT_NAME(e); }
static inline void cl_set_bool(GstElement *e, const char *p, gboolean v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_int(GstElement *e, const char *p, gint v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_uint(GstElement *e, const char *p, guint v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_uint64(GstElement *e, const char *p, guint64 v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_int64(GstElement *e, const char *p, gint64 v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_string(GstElement *e, const char *p, const char *v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_caps(GstElement *e, const char *p, GstCaps *v) { g_object_set(G_OBJECT(e), p, v, NULL); }
static inline void cl_set_format_time(GstElement *e) { g_object_set(G_OBJECT(e), "format", GST_FORMAT_TIME, NULL); }

// MARK: video info (GST_VIDEO_INFO_* are macros)
static inline gint cl_video_info_width(const GstVideoInfo *i) { return GST_VIDEO_INFO_WIDTH(i); }
static inline gint cl_video_info_height(const GstVideoInfo *i) { return GST_VIDEO_INFO_HEIGHT(i); }
static inline gint cl_video_info_stride(const GstVideoInfo *i, guint plane) { return GST_VIDEO_INFO_PLANE_STRIDE(i, plane); }
static inline gsize cl_video_info_offset(const GstVideoInfo *i, guint plane) { return GST_VIDEO_INFO_PLANE_OFFSET(i, plane); }
static inline gint cl_video_info_fps_n(const GstVideoInfo *i) { return GST_VIDEO_INFO_FPS_N(i); }
static inline gint cl_video_info_fps_d(const GstVideoInfo *i) { return GST_VIDEO_INFO_FPS_D(i); }
static inline const char *cl_video_info_format_name(const GstVideoInfo *i) { return GST_VIDEO_INFO_NAME(i); }

// MARK: state changes
static inline GstStateChangeReturn cl_state_failure(void) { return GST_STATE_CHANGE_FAILURE; }

#endif
