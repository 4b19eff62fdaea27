package k8ssync

import (
	"context"
	"sync"
)

// Phases of a running sync (Progress.Phase).
const (
	// PhaseReading: the fabric is read, Kubernetes and NetBox are listed.
	PhaseReading = "reading"
	// PhaseWriting: the kinds' changes are being written to NetBox.
	PhaseWriting = "writing"
)

// Progress is how far a running sync has come. It holds counts only: no
// names, tokens or errors' texts.
type Progress struct {
	Phase string `json:"phase"`
	// KindsRead of KindsTotal kinds have been listed and compared.
	KindsRead  int `json:"kinds_read"`
	KindsTotal int `json:"kinds_total"`
	// Listed is the number of custom resources listed so far.
	Listed int `json:"listed"`
	// Planned is the number of creates, updates and deletes planned so
	// far; Written of them NetBox has taken.
	Planned int `json:"planned"`
	Written int `json:"written"`
}

// ProgressFunc receives a sync's progress. It is called one report at a
// time, in order (from the goroutines that list and write), and must
// return quickly (it is a notification, not a place to do work).
type ProgressFunc func(Progress)

type progressKey struct{}

// WithProgress returns ctx carrying fn: a Sync run with it reports its
// progress to fn at a few points (per kind read, per batch planned and
// written). Without it a sync reports nothing.
func WithProgress(ctx context.Context, fn ProgressFunc) context.Context {
	if fn == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, fn)
}

// ReportProgress tells ctx's ProgressFunc (WithProgress) about p, if it
// carries one: for engines other than this package's that report the same
// way.
func ReportProgress(ctx context.Context, p Progress) {
	if fn, ok := ctx.Value(progressKey{}).(ProgressFunc); ok {
		fn(p)
	}
}

// progress is a run's reporter; its zero value and a nil one report
// nothing.
type progress struct {
	mu  sync.Mutex
	fn  ProgressFunc
	now Progress
}

// newProgress is the reporter of a sync whose context is ctx.
func newProgress(ctx context.Context, kindsTotal int) *progress {
	fn, _ := ctx.Value(progressKey{}).(ProgressFunc)
	p := &progress{fn: fn, now: Progress{Phase: PhaseReading, KindsTotal: kindsTotal}}
	p.report(func(*Progress) {})
	return p
}

// report applies change and tells the callback.
func (p *progress) report(change func(*Progress)) {
	if p == nil || p.fn == nil {
		return
	}
	// Under the lock: the kinds' goroutines report too, and snapshots
	// must reach fn one at a time and in the order they were taken.
	p.mu.Lock()
	defer p.mu.Unlock()
	change(&p.now)
	p.fn(p.now)
}

// kindRead: one more kind was listed (listed resources) and compared.
func (p *progress) kindRead(listed int) {
	p.report(func(s *Progress) {
		s.KindsRead++
		s.Listed += listed
	})
}

// planned: n more writes are about to be sent; writing has begun.
func (p *progress) planned(n int) {
	p.report(func(s *Progress) {
		s.Phase = PhaseWriting
		s.Planned += n
	})
}

// wrote: NetBox took n more writes.
func (p *progress) wrote(n int) {
	if n == 0 {
		return
	}
	p.report(func(s *Progress) { s.Written += n })
}
