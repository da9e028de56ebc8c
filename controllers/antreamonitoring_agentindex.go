package controllers

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// agentIndex keeps what every AntreaAgentInfo says, by Node, from the
// events of their informer: a reconcile reads it without listing and
// parsing one object per Node (the cost of a reconcile at thousands of
// Nodes), and an agent's heartbeat, which changes nothing the operator
// reads, changes nothing here.
type agentIndex struct {
	mu sync.Mutex
	// byObject is each object's Node and report, by object name.
	byObject map[string]agentEntry
	// byNode is the map handed out, rebuilt after a change; nil when stale.
	byNode map[string]agentInfo
	synced func() bool
}

type agentEntry struct {
	node string
	info agentInfo
}

func newAgentIndex() *agentIndex {
	return &agentIndex{byObject: map[string]agentEntry{}}
}

// OnAdd, OnUpdate and OnDelete make agentIndex a ResourceEventHandler.
func (x *agentIndex) OnAdd(obj any, _ bool) { x.apply(obj, false) }
func (x *agentIndex) OnUpdate(_, obj any)   { x.apply(obj, false) }
func (x *agentIndex) OnDelete(obj any)      { x.apply(obj, true) }

func (x *agentIndex) apply(obj any, deleted bool) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj, deleted = d.Obj, true
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	old, had := x.byObject[u.GetName()]
	if deleted {
		if had {
			delete(x.byObject, u.GetName())
			x.byNode = nil
		}
		return
	}
	node, info := parseAgentInfo(u)
	if had && old == (agentEntry{node: node, info: info}) {
		return // a heartbeat
	}
	x.byObject[u.GetName()] = agentEntry{node: node, info: info}
	x.byNode = nil
}

// agents is every AntreaAgentInfo's report by Node. The map is shared
// between reconciles until the next change: read it, never change it.
func (x *agentIndex) agents() map[string]agentInfo {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byNode == nil {
		x.byNode = make(map[string]agentInfo, len(x.byObject))
		for _, e := range x.byObject {
			x.byNode[e.node] = e.info
		}
	}
	return x.byNode
}

// register has the index follow the AntreaAgentInfo informer of c, and
// waits until it has seen every object the informer holds.
func (x *agentIndex) register(ctx context.Context, c cache.Cache) error {
	x.mu.Lock()
	registered := x.synced != nil
	x.mu.Unlock()
	if !registered {
		obj := &unstructured.Unstructured{}
		obj.SetGroupVersionKind(antreaAgentInfoGVK)
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return fmt.Errorf("getting the AntreaAgentInfo informer: %w", err)
		}
		reg, err := inf.AddEventHandler(x)
		if err != nil {
			return fmt.Errorf("following AntreaAgentInfo objects: %w", err)
		}
		x.mu.Lock()
		x.synced = reg.HasSynced
		x.mu.Unlock()
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), x.synced) {
		return fmt.Errorf("the index of AntreaAgentInfo objects did not sync within %s", antreaInfoReadTimeout)
	}
	return nil
}
