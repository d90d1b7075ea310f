// The interrupted password prompt, apart from the reader so that main can recognise it without loading the reader
// (which loads @authgate/fastify).

/** Ctrl-C at the password prompt: the command stops with exit code 130 (128 + SIGINT), as an interrupted shell does. */
export class InputAborted extends Error {
  constructor () {
    super('aborted')
    this.name = 'InputAborted'
  }
}
