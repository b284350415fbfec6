package oauth2client

import (
	ory "github.com/ory/client-go"

	common "github.com/crossplane-contrib/provider-ory/apis/common/v1alpha1"
)

// lifespan pairs a lifespan of the spec with Ory's field for it.
type lifespan struct {
	spec func(*common.OAuth2ClientLifespans) **common.Duration
	ory  func(*ory.OAuth2Client) *ory.NullableString
}

// lifespans are every token lifespan an OAuth2 client has (Ory's
// oAuth2Client schema, the *_lifespan fields).
var lifespans = []lifespan{
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.AuthorizationCodeGrantAccessTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.AuthorizationCodeGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.AuthorizationCodeGrantIDTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.AuthorizationCodeGrantIdTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.AuthorizationCodeGrantRefreshTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.AuthorizationCodeGrantRefreshTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.ClientCredentialsGrantAccessTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.ClientCredentialsGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.DeviceAuthorizationGrantAccessTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.DeviceAuthorizationGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.DeviceAuthorizationGrantIDTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.DeviceAuthorizationGrantIdTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.DeviceAuthorizationGrantRefreshTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.DeviceAuthorizationGrantRefreshTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration { return &l.ImplicitGrantAccessTokenLifespan }, func(m *ory.OAuth2Client) *ory.NullableString { return &m.ImplicitGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration { return &l.ImplicitGrantIDTokenLifespan }, func(m *ory.OAuth2Client) *ory.NullableString { return &m.ImplicitGrantIdTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration { return &l.JWTBearerGrantAccessTokenLifespan }, func(m *ory.OAuth2Client) *ory.NullableString { return &m.JwtBearerGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.RefreshTokenGrantAccessTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.RefreshTokenGrantAccessTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration { return &l.RefreshTokenGrantIDTokenLifespan }, func(m *ory.OAuth2Client) *ory.NullableString { return &m.RefreshTokenGrantIdTokenLifespan }},
	{func(l *common.OAuth2ClientLifespans) **common.Duration {
		return &l.RefreshTokenGrantRefreshTokenLifespan
	}, func(m *ory.OAuth2Client) *ory.NullableString { return &m.RefreshTokenGrantRefreshTokenLifespan }},
}

// setLifespans puts the lifespans l sets into m.
func setLifespans(m *ory.OAuth2Client, l *common.OAuth2ClientLifespans) {
	if l == nil {
		return
	}
	for _, f := range lifespans {
		if d := *f.spec(l); d != nil {
			f.ory(m).Set(ory.PtrString(string(*d)))
		}
	}
}

// observedLifespans are the lifespans Ory reports for m, nil when none.
func observedLifespans(m ory.OAuth2Client) *common.OAuth2ClientLifespans {
	var l common.OAuth2ClientLifespans
	set := false
	for _, f := range lifespans {
		if v := f.ory(&m).Get(); v != nil && *v != "" {
			d := common.Duration(*v)
			*f.spec(&l) = &d
			set = true
		}
	}
	if !set {
		return nil
	}
	return &l
}
