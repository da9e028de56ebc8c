package shorthash

import "testing"

func TestOf(t *testing.T) {
	// The values are pinned: changing them would roll out every Antrea
	// workload and managed Prometheus once after an upgrade.
	for _, tc := range []struct {
		parts []string
		want  string
	}{
		{[]string{"a"}, "ca978112ca1bbdca"},
		{[]string{"1", "conf"}, Of("1\x00conf")},
	} {
		if got := Of(tc.parts...); got != tc.want {
			t.Errorf("Of(%q) = %s, want %s", tc.parts, got, tc.want)
		}
	}
	if Of("a", "b") == Of("ab") {
		t.Errorf("parts must be separated")
	}
}
