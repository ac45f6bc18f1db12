/**
 * DynamoDB's size limits, installed into dynalite inside its child process (CommonJS source, run before dynalite
 * loads). dynalite measures strings in UTF-16 code units and never checks index keys; DynamoDB measures UTF-8
 * bytes and refuses, with these exact ValidationException messages:
 * - a table partition key over 2,048 bytes or sort key over 1,024 bytes (in an item, a key, a start key or a
 *   query's key condition);
 * - an index key attribute present in the item (PutItem, BatchWriteItem, or the item an UpdateItem produces) over
 *   2,048 bytes (index partition key) or 1,024 bytes (index sort key) (AWS's message is documented in issue
 *   threads for partition keys; the sort-key one is taken to follow the same form with `Max Size: 1024 bytes`);
 * - an item over 400 KB (dynalite's own limit, 409,600 bytes, with this sizing), sized as DynamoDB sizes it: UTF-8 bytes of every attribute name and string, raw bytes of
 *   binaries, numbers by significant digits, 1 byte for null/boolean, 3 bytes plus 1 per element for maps/lists.
 * The patches replace dynalite's exported checks (its actions call them through the module object), so the
 * order of its own validations, its locks and its all-or-nothing batch validation are kept.
 */
import { createRequire } from 'node:module';

/**
 * DynamoDB's item size (the rules in the comment above), as CommonJS source of a function of big.js's `Big`
 * that returns `itemSize(item)` for an item in DynamoDB JSON. The one definition: the dynalite patches below
 * and the cost meter (local/meter) both evaluate this text, in dynalite's process and in the host.
 */
export const itemSizeSource = `(Big) => {
  const numberSize = (text) => {
    const value = new Big(text);
    const digits = value.c.length;
    if (digits === 1 && value.c[0] === 0) return 1;
    return 1 + Math.ceil(digits / 2) + (digits % 2 || value.e % 2 ? 0 : 1) + (value.s === -1 ? 1 : 0);
  };

  const valueSize = (attributeValue) => {
    for (const type in attributeValue) {
      const value = attributeValue[type];
      switch (type) {
        case 'S':
          return Buffer.byteLength(value, 'utf8');
        case 'B':
          return Buffer.byteLength(value, 'base64');
        case 'N':
          return numberSize(value);
        case 'SS':
          return value.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
        case 'BS':
          return value.reduce((sum, b) => sum + Buffer.byteLength(b, 'base64'), 0);
        case 'NS':
          return value.reduce((sum, n) => sum + numberSize(n), 0);
        case 'NULL':
        case 'BOOL':
          return 1;
        case 'L':
          return value.reduce((sum, element) => sum + 1 + valueSize(element), 3);
        case 'M':
          return 3 + Object.keys(value).length + itemSize(value);
      }
    }
    return 0;
  };

  const itemSize = (item) => {
    let size = 0;
    for (const name in item) size += Buffer.byteLength(name, 'utf8') + valueSize(item[name]);
    return size;
  };
  return itemSize;
}`;

/** DynamoDB's size of an item (DynamoDB JSON), in bytes: itemSizeSource evaluated in this process. */
export const dynamoItemSize: (item: Record<string, unknown>) => number = new Function(
  `return (${itemSizeSource});`,
)()(createRequire(createRequire(import.meta.url).resolve('dynalite'))('big.js'));

/** CommonJS; expects `dynaliteModule` (the resolved path of dynalite's index.js) in scope. */
export const dynaliteLimitsScript = `
(() => {
  const { dirname, join } = require('node:path');
  const dynaliteDir = dirname(dynaliteModule);
  const dynaliteRequire = require('node:module').createRequire(dynaliteModule);
  const db = dynaliteRequire('./db');
  const Big = dynaliteRequire('big.js');
  const MAX_HASH_KEY_BYTES = 2048;
  const MAX_RANGE_KEY_BYTES = 1024;
  const invalid = 'One or more parameter values were invalid: ';
  const hashKeyTooLarge = () =>
    db.validationError(invalid + 'Size of hashkey has exceeded the maximum size limit of2048 bytes');
  const rangeKeyTooLarge = () =>
    db.validationError(invalid + 'Aggregated size of all range keys has exceeded the size limit of 1024 bytes');

  const keyBytes = (value, type) =>
    type === 'S' ? Buffer.byteLength(value, 'utf8') : type === 'B' ? Buffer.byteLength(value, 'base64') : 0;

  const keyPieceError = (value, type, isHash) => {
    if (typeof value !== 'string') return undefined;
    const bytes = keyBytes(value, type);
    if (isHash) return bytes > MAX_HASH_KEY_BYTES ? hashKeyTooLarge() : undefined;
    return bytes > MAX_RANGE_KEY_BYTES ? rangeKeyTooLarge() : undefined;
  };

  const tableKeyError = (key, table, keySchema) =>
    db.traverseKey(table, keySchema || table.KeySchema, (attr, type, isHash) =>
      keyPieceError(key[attr] && key[attr][type], type, isHash),
    );

  const attributeType = (table, attr) => {
    const definition = table.AttributeDefinitions.find((d) => d.AttributeName === attr);
    return definition && definition.AttributeType;
  };

  const indexKeyError = (item, table) => {
    const indexes = [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])];
    for (const index of indexes) {
      for (const { AttributeName: attr, KeyType: keyType } of index.KeySchema) {
        const type = attributeType(table, attr);
        const value = item[attr] && item[attr][type];
        if (typeof value !== 'string') continue;
        const bytes = keyBytes(value, type);
        const max = keyType === 'HASH' ? MAX_HASH_KEY_BYTES : MAX_RANGE_KEY_BYTES;
        if (bytes > max) {
          return db.validationError(
            invalid + 'Size limit exceeded for Index Key ' + attr + ' Actual Size: ' + bytes + ' bytes Max Size: ' +
              max + ' bytes IndexName: ' + index.IndexName,
          );
        }
      }
    }
    return undefined;
  };

  const itemSize = (${itemSizeSource})(Big);

  const { validateKey, validateKeyPiece, validateItem, updateIndexes, itemSize: dynaliteItemSize } = db;
  db.validateKey = (key, table, keySchema) =>
    validateKey(key, table, keySchema) || tableKeyError(key, table, keySchema);
  db.validateKeyPiece = (key, attr, type, isHash) =>
    validateKeyPiece(key, attr, type, isHash) || keyPieceError(key[attr][type], type, isHash);
  db.validateItem = (item, table) => validateItem(item, table) || tableKeyError(item, table) || indexKeyError(item, table);
  // Only the one-argument form is the item size; the others size query pages and capacity, left to dynalite.
  db.itemSize = (item, ...rest) => (rest.length ? dynaliteItemSize(item, ...rest) : itemSize(item));
  // The one place an UpdateItem's resulting item passes before it is written.
  db.updateIndexes = (store, table, existingItem, item, cb) => {
    const error = item && indexKeyError(item, table);
    if (error) return cb(error);
    return updateIndexes(store, table, existingItem, item, cb);
  };

  // Query's key conditions: checked once dynalite has read the table, before its own checks run.
  const queryPath = require.resolve(join(dynaliteDir, 'actions', 'query.js'));
  const query = require(queryPath);
  require.cache[queryPath].exports = (store, data, cb) => {
    const checkingStore = Object.create(store, {
      getTable: {
        value: (name, ...args) => {
          const done = args.pop();
          store.getTable(name, ...args, (err, table) => {
            const error = err ? undefined : keyConditionError(data, table);
            if (error) return cb(error);
            done(err, table);
          });
        },
      },
    });
    return query(checkingStore, data, cb);
  };

  const keyConditionError = (data, table) => {
    const index = data.IndexName
      ? [...(table.GlobalSecondaryIndexes || []), ...(table.LocalSecondaryIndexes || [])].find(
          (i) => i.IndexName === data.IndexName,
        )
      : table;
    if (!index || !data.KeyConditions) return undefined;
    return db.traverseKey(table, index.KeySchema, (attr, type, isHash) => {
      const condition = data.KeyConditions[attr];
      for (const value of (condition && condition.AttributeValueList) || []) {
        const error = keyPieceError(value && value[type], type, isHash);
        if (error) return error;
      }
      return undefined;
    });
  };
})();
`;
