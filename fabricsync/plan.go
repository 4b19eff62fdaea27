package fabricsync

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/hhgate/hhgate/netboxhttp"
)

// servePlan answers GET <base>.hhgate/fabrics/<id>/plan: what the next
// sync of the fabric would do, computed without writing anything. NetBox
// decides with the user's own credentials whether the user may view the
// fabric; the plan itself is read with the service token, as a sync.
func (h *Handler) servePlan(w http.ResponseWriter, r *http.Request, fabricID int) {
	if r.Method != http.MethodGet {
		refuseMethod(w, r, http.MethodGet)
		return
	}
	authCtx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	a := h.authorizeView(authCtx, r, fabricID)
	cancel()
	for _, c := range a.setCookies {
		w.Header().Add("Set-Cookie", c)
	}
	if a.verdict != allowed {
		h.refuse(w, r, fabricID, a)
		return
	}
	// Nothing to finish when the client leaves: the plan ends with it.
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	p := h.engine.Plan(ctx, fabricID)
	h.log.Info("fabric sync plan answered", zap.Int("fabric", fabricID), zap.String("code", p.Code))
	netboxhttp.WriteJSON(w, syncStatus(p.Code), p)
}
