package proxy

import (
	"context"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"
)

// accessLogPC is the program counter that the access log's records carry
// (a handler with AddSource shows it as the source line): the call site
// in logAccess, found once. slog's Logger methods look it up again for
// every record, which was a tenth of the access log's cost.
var accessLogPC atomic.Uintptr

// logAccess writes the access log's line for one request, as
// Logger.LogAttrs would at Info, without its per-record stack walk. end is
// when the response ended.
func (p *Proxy) logAccess(ctx context.Context, end time.Time, method, path string, status int, bytes int64, took time.Duration) {
	h := p.log.Handler()
	if !h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	pc := accessLogPC.Load()
	if pc == 0 {
		var pcs [1]uintptr
		runtime.Callers(1, pcs[:]) // this line, in logAccess
		pc = pcs[0]
		accessLogPC.Store(pc)
	}
	rec := slog.NewRecord(end, slog.LevelInfo, "sigv4 proxy", pc)
	rec.AddAttrs(slog.String("method", method), slog.String("path", path), slog.Int("status", status),
		slog.Int64("bytes", bytes), slog.Duration("duration", took.Round(time.Microsecond)))
	h.Handle(ctx, rec)
}
