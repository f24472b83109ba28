// @aws-lite/dynamodb ships no types of its own; the store passes it to @aws-lite/client only.
declare module '@aws-lite/dynamodb' {
  const plugin: object;
  export default plugin;
}
