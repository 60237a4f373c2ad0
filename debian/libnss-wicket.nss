passwd last wicket
group last wicket
