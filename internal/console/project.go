package console

import "context"

// ProjectSlug returns the slug of a project, which names its API
// (https://<slug>.projects.oryapis.com).
func (c *Client) ProjectSlug(ctx context.Context, projectID string) (string, error) {
	p, resp, err := c.api.ProjectAPI.GetProject(ctx, projectID).Execute()
	if err != nil {
		return "", classify("get project "+projectID, resp, err)
	}
	return p.GetSlug(), nil
}
