"""The Kakehashi xAPI profile (profiles/kakehashi.jsonld): loading, validating the profile itself,
and matching statements against its statement templates."""
