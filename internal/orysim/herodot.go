package orysim

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
)

// herodotBody is the error envelope Ory's services write (Ory's herodot
// library). The spec's errorGeneric only requires the "error" object and
// lists status_code/id/message/error_description, none required, with
// additional properties allowed; herodot's code/status/request/reason are
// such additional properties. "id" is deliberately absent: the spec limits
// it to feature_not_available and quota_exceeded.
type herodotBody struct {
	Error herodotError `json:"error"`
}

type herodotError struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Request string `json:"request"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message"`
}

// herodotMessages are herodot's default messages per status.
var herodotMessages = map[int]string{
	http.StatusBadRequest:          "The request was malformed or contained invalid parameters",
	http.StatusUnauthorized:        "The request could not be authorized",
	http.StatusForbidden:           "The requested action was forbidden",
	http.StatusNotFound:            "The requested resource could not be found",
	http.StatusMethodNotAllowed:    "The requested method is not allowed",
	http.StatusConflict:            "The resource could not be created due to a conflict",
	http.StatusTooManyRequests:     "Too many requests",
	http.StatusInternalServerError: "An internal server error occurred, please contact the system administrator",
	http.StatusBadGateway:          "Bad gateway",
	http.StatusServiceUnavailable:  "The service is temporarily unavailable",
	http.StatusGatewayTimeout:      "Gateway timeout",
}

// apiError is an error answer decided before anything was written.
type apiError struct {
	status int
	reason string
}

func (e *apiError) write(w http.ResponseWriter) { writeError(w, e.status, e.reason) }

// writeFor answers e as op's errors are shaped (see writeErrorFor).
func (e *apiError) writeFor(w http.ResponseWriter, op string) {
	writeErrorFor(w, op, e.status, e.reason)
}

// genericErrorBody is the herodot envelope with its content repeated at
// the top level, for the operations whose error answers the spec declares
// as genericError (purgeProject) rather than errorGeneric: genericError
// requires a top-level "message", and client-go decodes those answers
// into GenericError, which refuses a body without one. Assumption: Ory
// writes every error through herodot, so the envelope stays; the top-level
// copy makes the answer what the contract and client-go expect as well.
type genericErrorBody struct {
	Error herodotError `json:"error"`
	herodotError
}

// genericErrorOps are the operations that answer errors as genericError.
var genericErrorOps = map[string]bool{OpPurgeProject: true}

// writeError answers status with a herodot body. reason explains this
// particular failure; message is the generic text for the status.
func writeError(w http.ResponseWriter, status int, reason string) {
	writeErrorFor(w, "", status, reason)
}

// writeErrorFor answers status for op: a herodot body, which for the
// operations in genericErrorOps also carries its content at the top level.
func writeErrorFor(w http.ResponseWriter, op string, status int, reason string) {
	e := herodotFor(status, reason)
	var body any = herodotBody{Error: e}
	if genericErrorOps[op] {
		body = genericErrorBody{Error: e, herodotError: e}
	}
	writeErrorBody(w, status, body)
}

// writeGenericError answers status with a genericError body (see
// genericErrorBody).
func writeGenericError(w http.ResponseWriter, status int, reason string) {
	e := herodotFor(status, reason)
	writeErrorBody(w, status, genericErrorBody{Error: e, herodotError: e})
}

func writeErrorBody(w http.ResponseWriter, status int, body any) {
	b, _ := json.Marshal(body) // cannot fail: only strings and ints
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// herodotFor is herodot's error for status, with reason.
func herodotFor(status int, reason string) herodotError {
	msg, ok := herodotMessages[status]
	if !ok {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "Error"
	}
	return herodotError{
		Code:    status,
		Status:  http.StatusText(status),
		Request: uuid.NewString(),
		Reason:  reason,
		Message: msg,
	}
}
