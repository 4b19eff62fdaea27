// Package kinds is the table of the Hedgehog custom resource kinds that the
// fabric sync copies from Kubernetes into NetBox.
//
// The list and its order are the Hedgehog NetBox plugin's: it lists exactly
// these twelve kinds, all namespaced and served at v1beta1, and stores each
// in its own model behind its own REST route under /api/plugins/hedgehog/.
package kinds

import "k8s.io/apimachinery/pkg/runtime/schema"

// Kind describes one synced custom resource kind and where NetBox keeps it.
type Kind struct {
	// Kind is the Kubernetes kind and the plugin's model name, e.g. "VPC".
	Kind string
	// Group is the API group, e.g. "vpc.githedgehog.com".
	Group string
	// Version is the served API version, "v1beta1" for every kind.
	Version string
	// Resource is the plural resource name in the Kubernetes API, e.g. "vpcs".
	Resource string
	// Route is the plugin's REST route under /api/plugins/hedgehog/, e.g. "vpcs".
	Route string
}

// Group names of the Hedgehog APIs.
const (
	VPCGroup    = "vpc.githedgehog.com"
	WiringGroup = "wiring.githedgehog.com"
	Version     = "v1beta1"
)

// All lists the kinds in the plugin's order (VPC API first, then wiring).
var All = []Kind{
	{Kind: "VPC", Group: VPCGroup, Version: Version, Resource: "vpcs", Route: "vpcs"},
	{Kind: "External", Group: VPCGroup, Version: Version, Resource: "externals", Route: "externals"},
	{Kind: "ExternalAttachment", Group: VPCGroup, Version: Version, Resource: "externalattachments", Route: "external-attachments"},
	{Kind: "ExternalPeering", Group: VPCGroup, Version: Version, Resource: "externalpeerings", Route: "external-peerings"},
	{Kind: "IPv4Namespace", Group: VPCGroup, Version: Version, Resource: "ipv4namespaces", Route: "ipv4-namespaces"},
	{Kind: "VPCAttachment", Group: VPCGroup, Version: Version, Resource: "vpcattachments", Route: "vpc-attachments"},
	{Kind: "VPCPeering", Group: VPCGroup, Version: Version, Resource: "vpcpeerings", Route: "vpc-peerings"},
	{Kind: "Connection", Group: WiringGroup, Version: Version, Resource: "connections", Route: "connections"},
	{Kind: "Server", Group: WiringGroup, Version: Version, Resource: "servers", Route: "servers"},
	{Kind: "Switch", Group: WiringGroup, Version: Version, Resource: "switches", Route: "switches"},
	{Kind: "SwitchGroup", Group: WiringGroup, Version: Version, Resource: "switchgroups", Route: "switch-groups"},
	{Kind: "VLANNamespace", Group: WiringGroup, Version: Version, Resource: "vlannamespaces", Route: "vlan-namespaces"},
}

// GVR is the kind's group/version/resource, as the dynamic client wants it.
func (k Kind) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: k.Group, Version: k.Version, Resource: k.Resource}
}
