"""The xAPI document resources: State (/activities/state), Activity Profile (/activities/profile) and
Agent Profile (/agents/profile), for xAPI 1.0.3 and 2.0."""
