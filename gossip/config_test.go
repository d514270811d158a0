package gossip

import (
	"errors"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	valid := func() Config {
		c := DefaultConfig()
		c.NodeName = "n1"
		c.Meta = testMeta("n1")
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   error
	}{
		{"default is valid", func(*Config) {}, nil},
		{"port 0", func(c *Config) { c.BindPort = 0 }, nil},
		{"no name", func(c *Config) { c.NodeName = "" }, ErrInvalidConfig},
		{"hostname bind", func(c *Config) { c.BindAddr = "localhost" }, ErrInvalidConfig},
		{"bad advertise", func(c *Config) { c.AdvertiseAddr = "nope" }, ErrInvalidConfig},
		{"port range", func(c *Config) { c.BindPort = 70000 }, ErrInvalidConfig},
		{"unknown profile", func(c *Config) { c.Profile = "turbo" }, ErrInvalidConfig},
		{"bad timing", func(c *Config) { c.Timing = &Timing{} }, ErrInvalidConfig},
		{"zero retry interval", func(c *Config) { c.RetryJoinInterval = 0 }, ErrInvalidConfig},
		{"zero retention", func(c *Config) { c.LeftRetention = 0 }, ErrInvalidConfig},
		{"bad meta", func(c *Config) { c.Meta.Role = "" }, ErrInvalidConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	for _, p := range Profiles() {
		got, err := ParseProfile(string(p))
		if err != nil || got != p {
			t.Fatalf("ParseProfile(%q) = %q, %v", p, got, err)
		}
		tm, err := p.Timing()
		if err != nil {
			t.Fatalf("%s.Timing(): %v", p, err)
		}
		if err := tm.validate(); err != nil {
			t.Fatalf("%s timing invalid: %v", p, err)
		}
	}
	if _, err := ParseProfile("turbo"); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("ParseProfile(turbo) err = %v, want ErrInvalidConfig", err)
	}
}
