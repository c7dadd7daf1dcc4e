/**
 * `show schema json` (stats_dump_json_schema): the JSON schema of the typed JSON that `show info json`
 * and `show stat json` print (info.ts, csv.ts). Loadstar prints those in HAProxy 2.6's shape, so
 * HAProxy's schema describes them, key for key, for tools that validate those outputs with it.
 */
const SCHEMA = {
  "$schema": "http://json-schema.org/draft-04/schema#",
  "oneOf": [
    {
      "title": "Info",
      "type": "array",
      "items": {
        "title": "InfoItem",
        "type": "object",
        "properties": {
          "field": {
            "$ref": "#/definitions/field"
          },
          "processNum": {
            "$ref": "#/definitions/processNum"
          },
          "tags": {
            "$ref": "#/definitions/tags"
          },
          "value": {
            "$ref": "#/definitions/typedValue"
          }
        },
        "required": [
          "field",
          "processNum",
          "tags",
          "value"
        ]
      }
    },
    {
      "title": "Stat",
      "type": "array",
      "items": {
        "title": "InfoItem",
        "type": "object",
        "properties": {
          "objType": {
            "enum": [
              "Frontend",
              "Backend",
              "Listener",
              "Server",
              "Unknown"
            ]
          },
          "proxyId": {
            "type": "integer",
            "minimum": 0
          },
          "id": {
            "type": "integer",
            "minimum": 0
          },
          "field": {
            "$ref": "#/definitions/field"
          },
          "processNum": {
            "$ref": "#/definitions/processNum"
          },
          "tags": {
            "$ref": "#/definitions/tags"
          },
          "typedValue": {
            "$ref": "#/definitions/typedValue"
          }
        },
        "required": [
          "objType",
          "proxyId",
          "id",
          "field",
          "processNum",
          "tags",
          "value"
        ]
      }
    },
    {
      "title": "Error",
      "type": "object",
      "properties": {
        "errorStr": {
          "type": "string"
        }
      },
      "required": [
        "errorStr"
      ]
    }
  ],
  "definitions": {
    "field": {
      "type": "object",
      "pos": {
        "type": "integer",
        "minimum": 0
      },
      "name": {
        "type": "string"
      },
      "required": [
        "pos",
        "name"
      ]
    },
    "processNum": {
      "type": "integer",
      "minimum": 1
    },
    "tags": {
      "type": "object",
      "origin": {
        "type": "string",
        "enum": [
          "Metric",
          "Status",
          "Key",
          "Config",
          "Product",
          "Unknown"
        ]
      },
      "nature": {
        "type": "string",
        "enum": [
          "Gauge",
          "Limit",
          "Min",
          "Max",
          "Rate",
          "Counter",
          "Duration",
          "Age",
          "Time",
          "Name",
          "Output",
          "Avg",
          "Unknown"
        ]
      },
      "scope": {
        "type": "string",
        "enum": [
          "Cluster",
          "Process",
          "Service",
          "System",
          "Unknown"
        ]
      },
      "required": [
        "origin",
        "nature",
        "scope"
      ]
    },
    "typedValue": {
      "type": "object",
      "oneOf": [
        {
          "$ref": "#/definitions/typedValue/definitions/s32Value"
        },
        {
          "$ref": "#/definitions/typedValue/definitions/s64Value"
        },
        {
          "$ref": "#/definitions/typedValue/definitions/u32Value"
        },
        {
          "$ref": "#/definitions/typedValue/definitions/u64Value"
        },
        {
          "$ref": "#/definitions/typedValue/definitions/strValue"
        }
      ],
      "definitions": {
        "s32Value": {
          "properties": {
            "type": {
              "type": "string",
              "enum": [
                "s32"
              ]
            },
            "value": {
              "type": "integer",
              "minimum": -2147483648,
              "maximum": 2147483647
            }
          },
          "required": [
            "type",
            "value"
          ]
        },
        "s64Value": {
          "properties": {
            "type": {
              "type": "string",
              "enum": [
                "s64"
              ]
            },
            "value": {
              "type": "integer",
              "minimum": -9007199254740991,
              "maximum": 9007199254740991
            }
          },
          "required": [
            "type",
            "value"
          ]
        },
        "u32Value": {
          "properties": {
            "type": {
              "type": "string",
              "enum": [
                "u32"
              ]
            },
            "value": {
              "type": "integer",
              "minimum": 0,
              "maximum": 4294967295
            }
          },
          "required": [
            "type",
            "value"
          ]
        },
        "u64Value": {
          "properties": {
            "type": {
              "type": "string",
              "enum": [
                "u64"
              ]
            },
            "value": {
              "type": "integer",
              "minimum": 0,
              "maximum": 9007199254740991
            }
          },
          "required": [
            "type",
            "value"
          ]
        },
        "strValue": {
          "properties": {
            "type": {
              "type": "string",
              "enum": [
                "str"
              ]
            },
            "value": {
              "type": "string"
            }
          },
          "required": [
            "type",
            "value"
          ]
        },
        "unknownValue": {
          "properties": {
            "type": {
              "type": "integer",
              "minimum": 0
            },
            "value": {
              "type": "string",
              "enum": [
                "unknown"
              ]
            }
          },
          "required": [
            "type",
            "value"
          ]
        }
      }
    }
  }
};

/** The schema as HAProxy prints it: compact JSON on one line (with the one space HAProxy's text has). */
export function jsonSchema(): string {
  return `${JSON.stringify(SCHEMA).replace('"Avg","Unknown"', '"Avg", "Unknown"')}\n`;
}
