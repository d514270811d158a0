package netns

import (
	"net/netip"
	"slices"
	"testing"
)

func TestPartitionAndIsolate(t *testing.T) {
	tests := []struct {
		name string
		got  []Drop
		want []Drop
	}{
		{"isolate 0 of 3", Isolate(0, 3), []Drop{{0, 1}, {0, 2}, {1, 0}, {2, 0}}},
		{"split 2/1", Partition([]int{0, 1}, []int{2}), []Drop{{0, 2}, {1, 2}, {2, 0}, {2, 1}}},
		{"one group cuts nothing", Partition([]int{0, 1, 2}), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !slices.Equal(tc.got, tc.want) {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestRules(t *testing.T) {
	addrs := []netip.Addr{
		netip.MustParseAddr("198.18.7.11"),
		netip.MustParseAddr("198.18.7.12"),
		netip.MustParseAddr("198.18.7.13"),
	}
	drops := append(Partition([]int{0}, []int{1, 2}), Drop{From: 2, To: 1}, Drop{From: 2, To: 1})
	want := "*filter\n:ROSTER-CHAOS - [0:0]\n" +
		"-A ROSTER-CHAOS -s 198.18.7.11/32 -j DROP\n" +
		"-A ROSTER-CHAOS -s 198.18.7.13/32 -j DROP\n" +
		"COMMIT\n"
	if got := rules(drops, 1, addrs); got != want {
		t.Fatalf("rules for host 1:\n%s\nwant:\n%s", got, want)
	}
	if got, want := rules(nil, 0, addrs), "*filter\n:ROSTER-CHAOS - [0:0]\nCOMMIT\n"; got != want {
		t.Fatalf("healed rules:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunIDOfNS(t *testing.T) {
	for name, want := range map[string]string{"rc-a1b2c3-n1": "a1b2c3", "rc-zz-n1": "", "other": "", "rc-a1b2c3": ""} {
		id, ok := runIDOfNS(name)
		if (want != "") != ok || id != want && ok {
			t.Errorf("runIDOfNS(%q) = %q, %v; want %q", name, id, ok, want)
		}
	}
}

func TestPickSubnet(t *testing.T) {
	used := []entry{{Subnet: 1}, {Subnet: 3}}
	k, err := pickSubnet(used, "4: eth0    inet 198.18.2.1/24 scope global")
	if err != nil || k != 4 {
		t.Fatalf("pickSubnet = %d, %v; want 4", k, err)
	}
}
