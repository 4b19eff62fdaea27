package kinds

// AgentGroup is the API group of Hedgehog's switch agents.
const AgentGroup = "agent.githedgehog.com"

// Agent is Hedgehog's per-switch agent resource (one per switch, named as
// the switch). It is not synced into NetBox: the sync only reads its
// status to count ready switches, so it is not in All and has no Route.
var Agent = Kind{Kind: "Agent", Group: AgentGroup, Version: Version, Resource: "agents"}
