// Validates api/openapi.yaml against the OpenAPI 3 schema and resolves
// every $ref, with APIDevTools' swagger-parser.
import SwaggerParser from "@apidevtools/swagger-parser";

const path = new URL("../openapi.yaml", import.meta.url).pathname;
try {
  const api = await SwaggerParser.validate(path);
  const operations = Object.values(api.paths).flatMap((item) => Object.keys(item));
  console.log(`openapi.yaml: valid OpenAPI ${api.openapi}, ${operations.length} operations`);
} catch (err) {
  console.error(`openapi.yaml is not valid: ${err.message}`);
  process.exit(1);
}
