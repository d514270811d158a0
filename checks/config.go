package checks

import (
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Defaults and limits.
const (
	// DefaultTimeout is a probe's timeout when its definition has none.
	DefaultTimeout = 10 * time.Second
	// DefaultOutputInterval is Config.OutputInterval's default.
	DefaultOutputInterval = time.Minute
	// DefaultRetryMin and DefaultRetryMax bound the backoff between failed
	// Reporter calls.
	DefaultRetryMin = time.Second
	DefaultRetryMax = 30 * time.Second
	// MaxOutputSize is the most bytes of output a check reports, as Consul.
	MaxOutputSize = 4096
)

// Config configures a Manager. The zero value of each field means its
// default, so Config{} is usable.
type Config struct {
	// Logger receives the package's logs; nil discards them.
	Logger *slog.Logger
	// EnableScriptChecks allows exec checks (Args). When false such a check
	// is reported critical with an output saying that script checks are
	// disabled on this agent.
	EnableScriptChecks bool
	// OutputInterval is the least time between two writes of a check whose
	// status did not change but whose output did. Status changes are never
	// delayed. Default DefaultOutputInterval.
	OutputInterval time.Duration
	// RetryMin and RetryMax bound the exponential backoff after a failed
	// Reporter call. Defaults DefaultRetryMin and DefaultRetryMax.
	RetryMin time.Duration
	RetryMax time.Duration
	// Jitter returns a number in [0, 1): the fraction of its interval by
	// which a check's first probe is delayed. Must be safe for concurrent
	// use. Default: uniformly random. Tests fix it.
	Jitter func() float64
}

// DefaultConfig returns a Config with every default filled in.
func DefaultConfig() Config {
	return Config{}.withDefaults()
}

// Validate reports a Config that cannot work. Zero fields are fine.
func (c Config) Validate() error {
	switch {
	case c.OutputInterval < 0:
		return errors.New("checks config: negative output interval")
	case c.RetryMin < 0 || c.RetryMax < 0:
		return errors.New("checks config: negative retry backoff")
	case c.RetryMin > 0 && c.RetryMax > 0 && c.RetryMin > c.RetryMax:
		return errors.New("checks config: retry min above retry max")
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.OutputInterval <= 0 {
		c.OutputInterval = DefaultOutputInterval
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax <= 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = c.RetryMin
	}
	if c.Jitter == nil {
		c.Jitter = rand.Float64
	}
	return c
}
