package standin

import (
	"encoding/json"
	"net/http"
	"sort"
)

// roleMapping is a role mapping of the security plugin.
type roleMapping struct {
	BackendRoles    []string `json:"backend_roles"`
	Hosts           []string `json:"hosts"`
	Users           []string `json:"users"`
	AndBackendRoles []string `json:"and_backend_roles,omitempty"`
	Description     string   `json:"description,omitempty"`
}

// security answers _plugins/_security/authinfo and
// _plugins/_security/api/rolesmapping/{role}.
func (s *Server) security(w http.ResponseWriter, r *http.Request, segs []string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case len(segs) == 1 && segs[0] == "authinfo":
		var roles []string
		for name, m := range s.mappings {
			for _, br := range m.BackendRoles {
				if br == s.principal {
					roles = append(roles, name)
				}
			}
		}
		sort.Strings(roles)
		writeJSON(w, 200, map[string]any{
			"user":          "User [name=" + s.principal + ", backend_roles=[" + s.principal + "], requestedTenant=null]",
			"user_name":     s.principal,
			"backend_roles": []string{s.principal},
			"roles":         roles,
			"tenants":       map[string]bool{s.principal: true},
		})
	case len(segs) == 3 && segs[0] == "api" && segs[1] == "rolesmapping":
		role := segs[2]
		switch r.Method {
		case http.MethodGet:
			m, ok := s.mappings[role]
			if !ok {
				writeJSON(w, 404, map[string]string{"status": "NOT_FOUND", "message": "'" + role + "' not found."})
				return
			}
			writeJSON(w, 200, map[string]roleMapping{role: m})
		case http.MethodPut:
			var m roleMapping
			if err := json.Unmarshal(body, &m); err != nil {
				writeJSON(w, 400, map[string]string{"status": "BAD_REQUEST", "message": "invalid JSON: " + err.Error()})
				return
			}
			_, existed := s.mappings[role]
			s.mappings[role] = m
			status, verb := 201, "created"
			if existed {
				status, verb = 200, "updated"
			}
			writeJSON(w, status, map[string]string{"status": map[bool]string{true: "OK", false: "CREATED"}[existed], "message": "'" + role + "' " + verb + "."})
		default:
			methodNotAllowed(w, r, http.MethodGet, http.MethodPut)
		}
	default:
		unsupported("[" + r.Method + " " + r.URL.Path + "]").write(w)
	}
}
