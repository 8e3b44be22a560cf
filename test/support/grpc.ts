/**
 * gRPC without .proto files for tests: messages are raw bytes, so a test sees exactly what
 * moved. Spread into a method definition: `{ path, requestStream, responseStream, ...rawBytes }`.
 */
export const rawBytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Buffer) => b,
  responseDeserialize: (b: Buffer) => b,
};
