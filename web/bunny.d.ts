declare module 'bunny' {
  /** The Stanford bunny's vertices, [x, y, z] each (y is up). */
  export const positions: number[][];
  /** Its triangles, as vertex index triples. */
  export const cells: number[][];
  const bunny: { positions: number[][]; cells: number[][] };
  export default bunny;
}
