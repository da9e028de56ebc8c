package promop

import "testing"

func TestEndpointSliceDiscovery(t *testing.T) {
	for v, want := range map[string]bool{
		"0.93.1": true, "v0.86.0": true, "0.86.0-rc.0": true, "1.0.0": true,
		"0.85.0": false, "0.79.2": false, "": false, "main": false,
	} {
		if got := EndpointSliceDiscovery(v); got != want {
			t.Errorf("EndpointSliceDiscovery(%q) = %v, want %v", v, got, want)
		}
	}
}
