/** Switch point to engine/optimizer and engine/task/load (stand-ins until they land). */
export { optimize } from './standin/optimizer';
export { loadTaskFile } from './standin/taskLoad';
