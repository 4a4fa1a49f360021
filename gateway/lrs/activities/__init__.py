"""The xAPI Activities (/activities) and Agents (/agents) resources: what the LRS knows of an Activity
(its canonical definition, merged from stored statements) and of an Agent (a Person object)."""
