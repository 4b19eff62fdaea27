package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hhgate/hhgate/k8ssync/kinds"
	"github.com/hhgate/hhgate/testenv"
	"github.com/hhgate/hhgate/testenv/kube"
)

// demoNamespace holds the demo fabric's custom resources.
const demoNamespace = "vlab"

// startCluster starts a real kube-apiserver + etcd (building them once with
// scripts/build-envtest-bins.sh, which says what it builds and how long it
// takes), creates the project's VLAB-like wiring fixture in demoNamespace
// and returns a read-only token for it.
func startCluster(ctx context.Context) (*kube.Cluster, string, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		root, err := testenv.RepoRoot()
		if err != nil {
			return nil, "", err
		}
		cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "scripts", "build-envtest-bins.sh"))
		cmd.Stderr = os.Stderr // the build's progress line on a first run
		out, err := cmd.Output()
		if err != nil {
			return nil, "", fmt.Errorf("building kube-apiserver and etcd: %w", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if err := os.Setenv("KUBEBUILDER_ASSETS", lines[len(lines)-1]); err != nil {
			return nil, "", err
		}
	}
	c, err := kube.Run()
	if err != nil {
		return nil, "", err
	}
	if err := applyFixture(ctx, c); err != nil {
		c.Stop()
		return nil, "", err
	}
	token, err := readerToken(ctx, c)
	if err != nil {
		c.Stop()
		return nil, "", err
	}
	return c, token, nil
}

func applyFixture(ctx context.Context, c *kube.Cluster) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: demoNamespace}}
	if _, err := c.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("namespace %s: %w", demoNamespace, err)
	}
	for _, obj := range kube.Fixture(demoNamespace) {
		k, ok := kube.LookupKind(obj.GetAPIVersion(), obj.GetKind())
		if !ok {
			return fmt.Errorf("fixture %s %s: not a synced kind", obj.GetKind(), obj.GetName())
		}
		if _, err := c.Resource(k, demoNamespace).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("fixture %s %s: %w", k.Kind, obj.GetName(), err)
		}
	}
	return nil
}

// readerToken is a token of a ServiceAccount that may get, list and watch
// the 12 kinds and the Agents in demoNamespace, as a fabric's
// kubernetes_token should be.
func readerToken(ctx context.Context, c *kube.Cluster) (string, error) {
	groups := map[string][]string{}
	for _, k := range kinds.All {
		groups[k.Group] = append(groups[k.Group], k.Resource)
	}
	// The fabric's Agents, for switch readiness (read only).
	groups[kinds.Agent.Group] = append(groups[kinds.Agent.Group], kinds.Agent.Resource)
	var rules []rbacv1.PolicyRule
	for g, res := range groups {
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: res, Verbs: []string{"get", "list", "watch"}})
	}
	meta := metav1.ObjectMeta{Name: "hhgate-demo-reader", Namespace: demoNamespace}
	core, rbac := c.Clientset.CoreV1(), c.Clientset.RbacV1()
	if _, err := core.ServiceAccounts(demoNamespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	if _, err := rbac.Roles(demoNamespace).Create(ctx, &rbacv1.Role{ObjectMeta: meta, Rules: rules}, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	binding := &rbacv1.RoleBinding{ObjectMeta: meta,
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: meta.Name, Namespace: demoNamespace}},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: meta.Name}}
	if _, err := rbac.RoleBindings(demoNamespace).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	expiry := int64((24 * time.Hour).Seconds())
	tr, err := core.ServiceAccounts(demoNamespace).CreateToken(ctx, meta.Name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return tr.Status.Token, nil
}

// changeVPC edits the fixture's first VPC (a label with the time), the CR
// change the walk-through makes without kubectl.
func changeVPC(ctx context.Context, c *kube.Cluster) (string, error) {
	k, _ := kube.KindByName("VPC")
	ri := c.Resource(k, demoNamespace)
	list, err := ri.List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil || len(list.Items) == 0 {
		return "", fmt.Errorf("no VPC to change: %v", err)
	}
	obj := list.Items[0]
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels["demo.hhgate.dev/changed"] = time.Now().UTC().Format("20060102T150405Z")
	obj.SetLabels(labels)
	if _, err := ri.Update(ctx, &obj, metav1.UpdateOptions{}); err != nil {
		return "", err
	}
	return obj.GetName(), nil
}
