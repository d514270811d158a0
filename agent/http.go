package agent

import (
	"log/slog"
	"net/http"
	"time"
)

// newHTTPServer sets the timeouts a server exposed to clients needs. There
// is no WriteTimeout: blocking queries legitimately hold a response for
// minutes; slow-header and idle clients are cut off instead.
func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}
