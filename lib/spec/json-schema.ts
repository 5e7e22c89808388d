/** JSON Schema of the PlatformSpec, for editor completion and validation of YAML/JSON specs. */
import { z } from 'zod';
import { platformSpecSchema } from './platform';
import { isTokenBranch } from './primitives';

export function platformJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(platformSpecSchema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      // Deploy-time tokens only exist in TypeScript; a file never holds one.
      const js = ctx.jsonSchema as { anyOf?: Record<string, unknown>[] };
      if (Array.isArray(js.anyOf)) {
        const opts = ((ctx.zodSchema._zod.def as unknown as { options?: z.core.$ZodType[] }).options) ?? [];
        const kept = js.anyOf.filter((_, i) => !(opts[i] && isTokenBranch(opts[i])));
        if (kept.length === 1) {
          delete js.anyOf;
          Object.assign(js, kept[0]);
        } else {
          js.anyOf = kept;
        }
      }
    },
  });
  return { ...schema, title: 'cdk-mlops PlatformSpec' };
}
