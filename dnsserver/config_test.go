package dnsserver

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"defaults", func(*Config) {}, true},
		{"domain without dot, upper case", func(c *Config) { c.Domain = "Disco.Example" }, true},
		{"root domain", func(c *Config) { c.Domain = "." }, false},
		{"empty domain", func(c *Config) { c.Domain = "" }, false},
		{"domain with escapes", func(c *Config) { c.Domain = `a\.b.` }, false},
		{"zero TTLs", func(c *Config) { c.ServiceTTL, c.NodeTTL, c.NegativeTTL = 0, 0, 0 }, true},
		{"negative TTL", func(c *Config) { c.ServiceTTL = -time.Second }, false},
		{"sub-second TTL", func(c *Config) { c.NodeTTL = 1500 * time.Millisecond }, false},
		{"UDP size below 512", func(c *Config) { c.UDPSize = 511 }, false},
		{"UDP size 65535", func(c *Config) { c.UDPSize = 65535 }, true},
		{"UDP size above 65535", func(c *Config) { c.UDPSize = 65536 }, false},
		{"negative A limit", func(c *Config) { c.ALimit = -1 }, false},
		{"no TCP connections", func(c *Config) { c.MaxTCPConns = 0 }, false},
		{"no idle timeout", func(c *Config) { c.TCPIdleTimeout = 0 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.change(&cfg)
			err := cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
	cfg := DefaultConfig()
	cfg.Domain = "Disco.Example"
	if err := cfg.Validate(); err != nil || cfg.Domain != "disco.example." {
		t.Fatalf("domain normalised to %q (%v), want disco.example.", cfg.Domain, err)
	}
	if _, err := New(DefaultConfig(), nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("New with a nil catalog = %v", err)
	}
}
