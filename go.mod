module github.com/antrea-monitoring-operator/antrea-monitoring-operator

go 1.26.0

require gopkg.in/yaml.v3 v3.0.1 // indirect
