"""The HTTP edge around the schema: the GraphQL view (HTTP, WebSocket, GraphiQL), the
request guard middleware and the plain routes (probes, exports, webhooks, files)."""
