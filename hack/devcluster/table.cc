#include "hack/devcluster/table.h"

#include <functional>

#include "lib/kube/jsonpath.h"

namespace daap::devcluster {

namespace {

// One column of a Table: its definition and how a cell is computed from an object.
struct Column {
  std::string name;
  std::string type;
  std::string format;
  std::string description;
  int priority = 0;
  std::function<json::Value(const json::Value& object, std::chrono::system_clock::time_point now,
                            json::Allocator& allocator)>
      cell;
};

json::Value pathCell(const json::Value& object, std::initializer_list<std::string_view> path,
                     json::Allocator& allocator) {
  const json::Value* value = json::findPath(object, path);
  json::Value out;
  if (value != nullptr) {
    out.CopyFrom(*value, allocator);
  }
  return out;
}

Column pathColumn(std::string name, std::string type,
                  std::initializer_list<std::string_view> path) {
  std::vector<std::string> keys(path.begin(), path.end());
  std::string column_type = type;
  return {std::move(name),
          std::move(type),
          "",
          "",
          0,
          [keys, column_type](const json::Value& object, std::chrono::system_clock::time_point now,
                              json::Allocator& allocator) {
            const json::Value* value = &object;
            for (const std::string& key : keys) {
              value = json::find(*value, key);
              if (value == nullptr) {
                return json::Value();
              }
            }
            return kube::cellValue({value}, column_type, now, allocator);
          }};
}

Column countColumn(std::string name, std::string_view field) {
  std::string key(field);
  return {
      std::move(name),
      "integer",
      "",
      "",
      0,
      [key](const json::Value& object, std::chrono::system_clock::time_point, json::Allocator&) {
        const json::Value* value = json::find(object, key);
        return json::Value(value != nullptr && value->IsObject() ? value->MemberCount() : 0);
      }};
}

Column nameColumn() {
  Column column = pathColumn("Name", "string", {"metadata", "name"});
  column.format = "name";
  column.description = "Name must be unique within a namespace.";
  return column;
}

Column ageColumn(std::string name = "Age") {
  return pathColumn(std::move(name), "date", {"metadata", "creationTimestamp"});
}

std::vector<Column> columnsFor(const ResourceType& type) {
  if (type.custom) {
    std::vector<Column> columns{nameColumn()};
    if (type.printer_columns.empty()) {
      columns.push_back(ageColumn());
      return columns;
    }
    for (const PrinterColumn& printer : type.printer_columns) {
      Result<kube::JsonPath> path = kube::JsonPath::compile(printer.json_path);
      auto shared = path ? std::make_shared<kube::JsonPath>(std::move(path).value()) : nullptr;
      std::string column_type = printer.type;
      columns.push_back({printer.name, printer.type, "", printer.description, printer.priority,
                         [shared, column_type](const json::Value& object,
                                               std::chrono::system_clock::time_point now,
                                               json::Allocator& allocator) {
                           if (shared == nullptr) {
                             return json::Value();
                           }
                           return kube::cellValue(shared->evaluate(object), column_type, now,
                                                  allocator);
                         }});
    }
    return columns;
  }
  const std::string& plural = type.plural;
  if (plural == "namespaces") {
    return {nameColumn(), pathColumn("Status", "string", {"status", "phase"}), ageColumn()};
  }
  if (plural == "secrets") {
    return {nameColumn(), pathColumn("Type", "string", {"type"}), countColumn("Data", "data"),
            ageColumn()};
  }
  if (plural == "configmaps") {
    return {nameColumn(), countColumn("Data", "data"), ageColumn()};
  }
  if (plural == "events") {
    Column object{"Object",
                  "string",
                  "",
                  "",
                  0,
                  [](const json::Value& event, std::chrono::system_clock::time_point,
                     json::Allocator& allocator) {
                    const json::Value* involved = json::find(event, "involvedObject");
                    if (involved == nullptr) {
                      involved = json::find(event, "regarding");
                    }
                    std::string text;
                    if (involved != nullptr) {
                      text = std::string(json::getString(*involved, "kind"));
                      for (char& c : text) {
                        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                      }
                      text += "/" + std::string(json::getString(*involved, "name"));
                    }
                    return json::stringValue(text, allocator);
                  }};
    return {pathColumn("Last Seen", "date", {"lastTimestamp"}),
            pathColumn("Type", "string", {"type"}), pathColumn("Reason", "string", {"reason"}),
            object, pathColumn("Message", "string", {"message"})};
  }
  if (plural == "leases") {
    return {nameColumn(), pathColumn("Holder", "string", {"spec", "holderIdentity"}), ageColumn()};
  }
  if (plural == "customresourcedefinitions") {
    return {nameColumn(), ageColumn("Created At")};
  }
  return {nameColumn(), ageColumn()};
}

}  // namespace

bool wantsTable(std::string_view accept) {
  return accept.find("as=Table") != std::string_view::npos;
}

json::Document buildTable(const ResourceType& type, const std::vector<const json::Value*>& objects,
                          std::string_view resource_version, std::string_view continue_token,
                          std::string_view include_object,
                          std::chrono::system_clock::time_point now) {
  const std::vector<Column> columns = columnsFor(type);
  json::Document table(rapidjson::kObjectType);
  auto& allocator = table.GetAllocator();
  json::setString(table, "kind", "Table", allocator);
  json::setString(table, "apiVersion", "meta.k8s.io/v1", allocator);
  json::Value metadata(rapidjson::kObjectType);
  if (!resource_version.empty()) {
    json::setString(metadata, "resourceVersion", resource_version, allocator);
  }
  if (!continue_token.empty()) {
    json::setString(metadata, "continue", continue_token, allocator);
  }
  json::set(table, "metadata", std::move(metadata), allocator);

  json::Value definitions(rapidjson::kArrayType);
  for (const Column& column : columns) {
    json::Value definition(rapidjson::kObjectType);
    json::setString(definition, "name", column.name, allocator);
    json::setString(definition, "type", column.type, allocator);
    json::setString(definition, "format", column.format, allocator);
    json::setString(definition, "description", column.description, allocator);
    json::set(definition, "priority", json::Value(column.priority), allocator);
    definitions.PushBack(definition, allocator);
  }
  json::set(table, "columnDefinitions", std::move(definitions), allocator);

  json::Value rows(rapidjson::kArrayType);
  for (const json::Value* object : objects) {
    json::Value row(rapidjson::kObjectType);
    json::Value cells(rapidjson::kArrayType);
    for (const Column& column : columns) {
      cells.PushBack(column.cell(*object, now, allocator), allocator);
    }
    json::set(row, "cells", std::move(cells), allocator);
    json::Value embedded(rapidjson::kObjectType);
    if (include_object == "Object") {
      embedded.CopyFrom(*object, allocator);
    } else if (include_object != "None") {
      json::setString(embedded, "kind", "PartialObjectMetadata", allocator);
      json::setString(embedded, "apiVersion", "meta.k8s.io/v1", allocator);
      json::set(embedded, "metadata", pathCell(*object, {"metadata"}, allocator), allocator);
    }
    json::set(row, "object", std::move(embedded), allocator);
    rows.PushBack(row, allocator);
  }
  json::set(table, "rows", std::move(rows), allocator);
  return table;
}

}  // namespace daap::devcluster
