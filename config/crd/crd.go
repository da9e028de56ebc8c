// Package crd embeds the operator's generated CRD (bases/, written by
// controller-gen), so the operator can compare it with the CRD the API
// server serves.
package crd

import _ "embed"

// AntreaMonitorings is the AntreaMonitoring CRD this operator was built with.
//
//go:embed bases/monitoring.antrea.io_antreamonitorings.yaml
var AntreaMonitorings []byte
