/**
 * The cost meter inside dynalite's child process (CommonJS source, run after the limits patches and before
 * dynalite loads). It counts each request by operation (X-Amz-Target) and, from dynalite's own hooks, the
 * capacity DynamoDB would consume: every write that passes its condition (db.updateIndexes sees the item before
 * and after), every write whose condition fails (db.checkConditional), GetItem (and BatchGetItem's items, which
 * dynalite serves through it), Query and Scan, with the rules of units.ts (dynamoUnitsSource) and DynamoDB's item
 * size (itemSizeSource). Counts stay here; the parent asks for them over IPC: `{type:'meter', id, reset}` →
 * `{type:'meter', id, counts}` (ChildCounts of meter.ts), only when someone reads the meter.
 */
import { itemSizeSource } from '../services/dynalite-limits';
import { table } from '../../cdk/wiring';
import { dynamoUnitsSource } from './units';

/** Expects `dynaliteModule` in scope; defines `meterDynaliteServer(server)`. */
export const dynaliteMeterScript = `
const meterDynaliteServer = (() => {
  const { join, dirname } = require('node:path');
  const dynaliteRequire = require('node:module').createRequire(dynaliteModule);
  const db = dynaliteRequire('./db');
  const sizeOf = (${itemSizeSource})(dynaliteRequire('big.js'));
  const units = ${dynamoUnitsSource};
  const TOP = 10;
  let requests = new Map();
  let writeUnits = {};
  let readUnits = {};
  let failedConditionalWrites = 0;
  let writesByKey = {};

  const add = (bag, name, value) => (bag[name] = (bag[name] || 0) + value);
  const keyWrite = (space, key, value) => {
    let map = writesByKey[space];
    if (!map) writesByKey[space] = map = new Map();
    map.set(key, (map.get(key) || 0) + value);
  };
  const hashKeyOf = (table) => table.KeySchema.find((k) => k.KeyType === 'HASH').AttributeName;
  const scalar = (value) => {
    for (const type in value) return String(value[type]);
    return '';
  };
  const gsis = (table) =>
    (table.GlobalSecondaryIndexes || []).map((index) => ({
      name: index.IndexName,
      partitionKey: index.KeySchema.find((k) => k.KeyType === 'HASH').AttributeName,
      sortKey: (index.KeySchema.find((k) => k.KeyType === 'RANGE') || {}).AttributeName,
    }));

  const tableWrite = (table, keySource, value) => {
    add(writeUnits, 'table', value);
    const pk = keySource && keySource[hashKeyOf(table)];
    if (pk) keyWrite('table', scalar(pk), value);
  };

  const { updateIndexes, checkConditional } = db;
  db.updateIndexes = (store, table, oldItem, newItem, cb) =>
    updateIndexes(store, table, oldItem, newItem, (err, ...rest) => {
      if (!err) {
        tableWrite(
          table,
          newItem || oldItem,
          units.writeUnitsOf(oldItem ? sizeOf(oldItem) : 0, newItem ? sizeOf(newItem) : 0),
        );
        for (const index of gsis(table)) {
          for (const write of units.indexWrites(index, oldItem || undefined, newItem || undefined, sizeOf)) {
            add(writeUnits, index.name, write.units);
            keyWrite(index.name, write.partitionKey, write.units);
          }
        }
      }
      cb(err, ...rest);
    });
  // A failed condition still consumes write units: the larger of the existing item and the one written.
  db.checkConditional = (data, existingItem) => {
    const error = checkConditional(data, existingItem);
    if (error) {
      failedConditionalWrites++;
      const value = units.writeUnitsOf(existingItem ? sizeOf(existingItem) : 0, data.Item ? sizeOf(data.Item) : 0);
      add(writeUnits, 'table', value);
      const pk = (data.Item || data.Key || {})[${JSON.stringify(table.partitionKey)}];
      if (pk) keyWrite('table', scalar(pk), value);
    }
    return error;
  };

  const wrapAction = (name, onResult) => {
    const path = require.resolve(join(dirname(dynaliteModule), 'actions', name + '.js'));
    const action = require(path);
    require.cache[path].exports = (store, data, cb) =>
      action(store, data, (err, result) => {
        if (!err && result) onResult(data, result);
        cb(err, result);
      });
  };
  wrapAction('getItem', (data, result) =>
    add(readUnits, 'table', units.readUnits(result.Item ? sizeOf(result.Item) : 0, !!data.ConsistentRead)),
  );
  const pageRead = (data, result) => {
    let bytes = 0;
    for (const item of result.Items || []) bytes += sizeOf(item);
    add(readUnits, data.IndexName || 'table', units.readUnits(bytes, !!data.ConsistentRead));
  };
  wrapAction('query', pageRead);
  wrapAction('scan', pageRead);

  const snapshot = () => ({
    requests: { dynamodb: Object.fromEntries([...requests].map(([op, n]) => [op, { requests: n, units: n }])) },
    dynamodb: {
      writeUnits,
      readUnits,
      failedConditionalWrites,
      writesByKey: Object.fromEntries(
        Object.entries(writesByKey).map(([space, map]) => {
          let total = 0;
          const top = [];
          for (const [key, value] of map) {
            total += value;
            if (top.length < TOP || value > top[top.length - 1][1]) {
              top.push([key, value]);
              top.sort((a, b) => b[1] - a[1]);
              if (top.length > TOP) top.pop();
            }
          }
          return [space, { units: total, distinctKeys: map.size, top }];
        }),
      ),
    },
  });
  process.on('message', (message) => {
    if (!message || message.type !== 'meter') return;
    const counts = snapshot();
    if (message.reset) {
      requests = new Map();
      writeUnits = {};
      readUnits = {};
      failedConditionalWrites = 0;
      writesByKey = {};
    }
    process.send({ type: 'meter', id: message.id, counts });
  });

  return (server) =>
    server.prependListener('request', (req) => {
      const target = String(req.headers['x-amz-target'] || '');
      const op = target.slice(target.indexOf('.') + 1) || 'Unknown';
      requests.set(op, (requests.get(op) || 0) + 1);
    });
})();
`;
