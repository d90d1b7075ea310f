// Fastify's default compilers, pinned for the plugin's routes. An application may set its own (a Zod or TypeBox
// type provider's): that compiler cannot read the plugin's JSON schemas, and every answer of an auth route would be
// a 500. These are the packages Fastify itself builds its defaults from, with Fastify's default options, so the
// auth routes validate and serialize as in an application that set nothing.
import { AjvCompiler } from '@fastify/ajv-compiler'
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'
import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify'

/** Ajv as Fastify configures it (coerceTypes 'array', useDefaults, removeAdditional, ajv-formats). */
export function fastifyValidatorCompiler (): FastifySchemaCompiler<unknown> {
  return AjvCompiler()({}, { customOptions: {}, plugins: [] }) as FastifySchemaCompiler<unknown>
}

/** fast-json-stringify as Fastify configures it. */
export function fastifySerializerCompiler (): FastifySerializerCompiler<unknown> {
  // The library's route type says httpStatus is always set; Fastify's (the wider one) is what it is called with.
  return SerializerSelector()({}, {}) as FastifySerializerCompiler<unknown>
}
