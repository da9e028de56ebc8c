package controllers

import (
	"slices"

	corev1 "k8s.io/api/core/v1"

	"github.com/antrea-monitoring-operator/antrea-monitoring-operator/internal/render"
)

// agentAPIPort finds the port to scrape Antrea's Windows agents on: their
// DaemonSet declares no container port (in any release), so the agents job
// gives their port-less targets the apiPort their AntreaAgentInfo objects
// report. pods are the running agents as gathered (gatherFleet, fleetErr
// when that read failed), agents and agentsErr this reconcile's read of those
// objects (gatherAntreaInfo): neither is read again, and a failed read
// fails only where it matters, when a port-less agent runs.
func agentAPIPort(pods []*corev1.Pod, fleetErr error, agents map[string]agentInfo, agentsErr error) (int32, error) {
	if fleetErr != nil {
		return 0, fleetErr
	}
	if !slices.ContainsFunc(pods, portless) {
		return 0, nil
	}
	if agentsErr != nil {
		return 0, agentsErr
	}
	return portlessAgentPort(pods, agents), nil
}

// portlessAgentPort is the apiPort the AntreaAgentInfo objects of the Nodes
// running a port-less agent report most often (the lowest on a tie), or 0
// when none reports one (the render then uses Antrea's default, 10350).
// An agent on another port is then down with "connection refused", which
// the status explains.
func portlessAgentPort(pods []*corev1.Pod, agents map[string]agentInfo) int32 {
	count := map[int32]int{}
	for i := range pods {
		if !portless(pods[i]) {
			continue
		}
		if a, ok := agents[pods[i].Spec.NodeName]; ok && a.APIPort > 0 {
			count[a.APIPort]++
		}
	}
	var best int32
	for port, n := range count {
		if n > count[best] || (n == count[best] && port < best) {
			best = port
		}
	}
	return best
}

// portless says whether an agent's antrea-agent container declares no port.
func portless(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if c.Name == render.ComponentAgent {
			return len(c.Ports) == 0
		}
	}
	return false
}
